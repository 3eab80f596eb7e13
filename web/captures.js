// Pages captured as evidence (design/crawler.md): what each capture read from the listing or the licence (a
// licence picture read by OCR says so), the checks before a purchase with their articles (Art 34, 22, 24, 25),
// and the WARC with its timestamps. A capture runs on the service as a job; the page shows it while it runs.
import { api, errorText, waitForJob, ApiError, captureError } from './api.js';
import { h, replace, beijing } from './dom.js';

const fieldNames = {
  title: '商品标题', price: '价格（元）', shop_name: '店铺名称', category: '类目', trademark: '商标', model: '规格型号',
  producer: '标称生产者', producer_address: '生产者地址', standard: '执行标准', certificate: 'CCC/生产许可证编号',
  operator_company: '经营者名称', credit_code: '统一社会信用代码', operator_address: '经营者住所', legal_representative: '法定代表人',
};
const pageKinds = { listing: '商品页', licence: '证照页', shop: '店铺页', search: '搜索结果页' };
const resultWords = { pass: '符合', fail: '不符合', sign: '提示', unknown: '待定' };

export function fieldName(field) { return fieldNames[field] || field; }

// The checks, each with its result in words, its article and its reason.
export function checkList(checks) {
  return h('ul', { class: 'checks' }, checks.map((c) => h('li', { class: `check check-${c.result}` },
    h('strong', {}, `第${c.article}条 ${resultWords[c.result] || c.result}`), '　', c.reason)));
}

function fieldsTable(extraction) {
  // In the order a person reads a listing or a licence (the named fields first, others after).
  const order = Object.keys(fieldNames);
  const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
  const found = Object.entries(extraction.fields).sort(([a], [b]) => rank(a) - rank(b));
  const rows = found.map(([name, v]) => h('tr', {},
    h('th', { scope: 'row' }, fieldName(name)), h('td', {}, v.value),
    h('td', { class: 'muted' }, v.rule.startsWith('ocr:') ? '营业执照图片（OCR）' : '页面')));
  for (const name of extraction.missing) {
    rows.push(h('tr', { class: 'missing' }, h('th', { scope: 'row' }, fieldName(name)), h('td', {}, '未找到'), h('td', {})));
  }
  return h('table', { class: 'fields' },
    h('thead', {}, h('tr', {}, ['字段', '读取的值', '来源'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows));
}

// One page of a capture: where, how it was reached, what it read.
function pageView(p) {
  const e = p.extraction;
  const hops = (p.hops || []).map((hop) => `${hop.status || '—'} ${hop.url}`).join(' → ');
  return h('div', { class: 'capture-page' },
    h('h3', {}, e ? `${pageKinds[e.page] || e.page} · ${e.platform}` : '网页', '　',
      h('a', { href: p.final_url || p.url, rel: 'noopener noreferrer', target: '_blank' }, p.final_url || p.url)),
    hops && h('p', { class: 'muted' }, `经 ${hops}`),
    p.error && h('p', { class: 'error' }, captureError(p.error)),
    p.extraction_problem && h('p', { class: 'error' }, `未读取字段：${p.extraction_problem}`),
    e && fieldsTable(e),
    e && e.problems.length > 0 && h('ul', { class: 'warnings' }, e.problems.map((x) => h('li', {}, x))));
}

// One capture session: its pages, the checks on what they said together, the WARC and its time.
export function captureView(c) {
  return h('article', { class: 'capture' },
    h('p', { class: 'muted' }, [c.captured && `抓取于 ${beijing(c.captured)}`, c.actor && `由 ${c.actor}`].filter(Boolean).join(' · ')),
    [c, ...(c.also || [])].map(pageView),
    c.checks && c.checks.length > 0 && [h('h4', {}, '购买前核对'), checkList(c.checks)],
    h('p', { class: 'capture-files' },
      c.warc_url && h('a', { href: c.warc_url, download: c.warc }, `下载 WARC（${c.records} 条记录）`),
      c.time_check && h('span', { class: 'muted' }, `　网络校时 ${c.time_check.server}，偏差 ${(c.time_check.offset_us / 1000).toFixed(1)} 毫秒`),
      (c.timestamps || []).map((t) => h('span', { class: 'muted' }, `　可信时间戳 ${beijing(t.time)}`)),
      (c.time_problems || []).map((p) => h('span', { class: 'warning' }, `　⚠ ${p}`))));
}

// Runs a capture on the service and waits for it, telling `status` how it goes; the job's result (the capture).
export async function capture(body, status) {
  replace(status, '已提交，排队中…');
  const job = await api.post('/api/captures', body);
  const ended = await waitForJob(job, (state) => replace(status, state === 'running' ? `正在抓取 ${body.url}（页面、证照图片识别、时间戳）…` : '排队中…'));
  if (ended.state === 'failed' && !ended.result) throw new ApiError(422, { error: ended.error });
  replace(status);
  return ended.result;
}

// The case's captures and, for its samplers and organizers, a form to capture one more page.
export function capturesSection(number, data, canCapture, reload) {
  const url = h('input', { id: 'capture-url', name: 'url', type: 'url', required: true, placeholder: 'https://…（商品页）', size: 40 });
  const licence = h('input', { id: 'capture-licence', name: 'also', type: 'url', placeholder: 'https://…（可不填）', size: 40 });
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = canCapture && h('form', { class: 'inline' },
    h('label', { for: 'capture-url' }, '网址'), url, h('label', { for: 'capture-licence' }, '同时抓取证照页'), licence,
    h('button', { type: 'submit' }, '抓取并存证'), status, error);
  form && form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(error);
    try {
      const result = await capture({ url: url.value.trim(), also: [licence.value.trim()].filter(Boolean), case: number }, status);
      if (result.error) replace(error, `页面已保存，但：${captureError(result.error)}`);
      reload();
    } catch (e) {
      replace(status);
      replace(error, errorText(e));
    }
  });
  const id = 'section-captures';
  return h('section', { class: 'card captures', 'aria-labelledby': id }, h('h2', { id }, '网页存证'),
    data.captures.length ? data.captures.map(captureView) : h('p', { class: 'muted' }, '暂无'),
    form);
}
