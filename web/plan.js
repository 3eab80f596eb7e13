// Opening cases (organizers, Art 4, 5): one case from a form, or a plan of many from a spreadsheet (CSV or
// XLSX). The form's fields are the plan's columns (GET /api/cases/plan-columns), so both are checked by the same
// rules on the server; every bad field or cell is shown at once, and a plan with any problem creates nothing.
import { api, errorText, uploadWithProgress, ApiError, captureError } from './api.js';
import { h, replace, articleText } from './dom.js';
import { capture, checkList, fieldName } from './captures.js';

const groups = [
  ['任务', (f) => !f.includes('.') && !['platform', 'samplers', 'onsite_testing', 'exception', 'district'].includes(f)],
  ['产品', (f) => f.startsWith('product.')],
  ['店铺', (f) => f === 'platform' || f.startsWith('shop.')],
  ['经营者与生产者', (f) => f.startsWith('operator.') || f.startsWith('producer.')],
  ['样品与人员', (f) => f.startsWith('samples.') || ['samplers', 'onsite_testing', 'exception', 'district'].includes(f)],
];

function fieldInput(column, organizer) {
  const id = `case-${column.field.replace(/\./g, '-')}`;
  const hintId = `${id}-hint`;
  const described = column.hint || column.article ? hintId : undefined;
  let input;
  if (column.type === 'boolean') {
    input = h('input', { id, name: column.field, type: 'checkbox', 'aria-describedby': described });
  } else if (column.choices.length) {
    input = h('select', { id, name: column.field, required: column.required, 'aria-describedby': described },
      h('option', { value: '' }, column.required ? '请选择' : '（不填）'),
      column.choices.map((c) => h('option', { value: c.value }, c.label)));
  } else {
    input = h('input', { id, name: column.field, required: column.required, 'aria-describedby': described,
      type: column.type === 'integer' ? 'number' : column.type === 'url' ? 'url' : 'text',
      min: column.type === 'integer' ? 1 : undefined,
      value: column.field === 'organizer' ? organizer || '' : column.field.startsWith('samples.') ? '2' : '' });
  }
  const error = h('span', { class: 'error field-error', id: `${id}-error` });
  const hint = [column.hint, column.article && articleText(column.article)].filter(Boolean).join(' · ');
  const row = h('div', { class: column.type === 'boolean' ? 'row check' : 'row' },
    h('label', { for: id }, column.header + (column.required ? ' *' : '')), input,
    hint && h('span', { class: 'article', id: hintId }, hint), error);
  return { column, input, error, row };
}

function value(field) {
  const { column, input } = field;
  if (column.type === 'boolean') return input.checked ? true : undefined;
  const text = input.value.trim();
  // A required field left empty is sent empty, so that the server names it (an absent group would be one error).
  if (text === '') return column.required && column.type !== 'integer' ? '' : undefined;
  return column.type === 'integer' && /^\d+$/.test(text) ? Number(text) : text;
}

function setPath(root, path, v) {
  const keys = path.split('.');
  let at = root;
  for (const k of keys.slice(0, -1)) at = at[k] ??= {};
  at[keys[keys.length - 1]] = v;
}

// Before a case is opened: the listing (and the shop's licence page) captured and read on the service, the form
// filled with what they gave for the organizer to confirm, and the checks before a purchase shown (Art 34, 22,
// 24, 25). Nothing is created until the organizer saves the form.
function listingReader(fields) {
  const listing = h('input', { id: 'prefill-listing', type: 'url', placeholder: 'https://…（商品页）' });
  const licence = h('input', { id: 'prefill-licence', type: 'url', placeholder: 'https://…（店铺证照页，可不填）' });
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  const found = h('div', { class: 'prefill-result' });
  const read = async () => {
    replace(found);
    const url = listing.value.trim();
    if (!url) { replace(found, h('p', { class: 'error' }, '请填写商品页网址')); return; }
    try {
      // One capture session for both pages: one WARC, and the checks see the listing and the licence together.
      const result = await capture({ url, also: [licence.value.trim()].filter(Boolean) }, status);
      const filled = [];
      for (const [path, v] of Object.entries(result.case_fields || {})) {
        const f = fields.find((x) => x.column.field === path);
        if (!f || v === '') continue;
        f.input.value = v;
        filled.push(f.column.header);
      }
      const pages = [result, ...(result.also || [])];
      replace(found,
        h('p', { class: 'ok' }, filled.length ? `已从页面填入：${filled.join('、')}。请逐项核对后再创建任务。` : '页面上没有读出可填入的字段。'),
        pages.map((r) => [
          r.error && h('p', { class: 'error' }, `${r.url}：${captureError(r.error)}`),
          r.extraction_problem && h('p', { class: 'error' }, `${r.url}：${r.extraction_problem}`),
          r.extraction && r.extraction.missing.length > 0 && h('p', { class: 'muted' }, `${r.url} 未找到：${r.extraction.missing.map(fieldName).join('、')}`)]),
        h('h3', {}, '购买前核对'), checkList(result.checks));
    } catch (error) {
      replace(status);
      replace(found, h('p', { class: 'error' }, errorText(error)));
    }
  };
  return h('fieldset', { class: 'prefill' }, h('legend', {}, '从商品页面读取（可选）'),
    h('p', { class: 'muted' }, '抓取并保存页面（WARC），读出商标、型号、生产者、经营者等，并在购买前核对第三十四、二十二、二十四、二十五条。'),
    h('div', { class: 'field-grid' },
      h('div', { class: 'row' }, h('label', { for: 'prefill-listing' }, '商品页网址'), listing),
      h('div', { class: 'row' }, h('label', { for: 'prefill-licence' }, '店铺证照页网址'), licence)),
    h('button', { type: 'button', id: 'prefill-button', onclick: read }, '读取并预填'), status, found);
}

function caseForm(columns, organizer, onCreated) {
  const fields = columns.map((c) => fieldInput(c, organizer));
  const summary = h('div', { role: 'alert' });
  // novalidate: the server checks every field at once and says the rule (and its article) beside each.
  const form = h('form', { class: 'card case-form', 'aria-labelledby': 'case-form-title', novalidate: true },
    h('h2', { id: 'case-form-title' }, '新建一个任务'),
    h('p', { class: 'muted' }, '带 * 的必填。保存时随机选派抽样人员（第20条），并检查六个月内是否重复抽查（第22条）。'),
    listingReader(fields),
    groups.map(([legend, test]) => h('fieldset', {}, h('legend', {}, legend),
      h('div', { class: 'field-grid' }, fields.filter((f) => test(f.column.field)).map((f) => f.row)))),
    summary,
    h('button', { type: 'submit', class: 'primary' }, '创建任务'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const f of fields) { f.error.textContent = ''; f.input.removeAttribute('aria-invalid'); f.input.removeAttribute('aria-errormessage'); }
    replace(summary);
    const body = {};
    for (const f of fields) { const v = value(f); if (v !== undefined) setPath(body, f.column.field, v); }
    try {
      onCreated(await api.post('/api/cases', body));
    } catch (error) {
      const problems = error instanceof ApiError && error.problems.length ? error.problems : [error];
      let first = null;
      const unplaced = [];
      for (const p of problems) {
        const f = fields.find((x) => x.column.field === p.field) || fields.find((x) => p.field && x.column.field.startsWith(`${p.field}.`));
        const text = p.message + (p.article ? `〔依据第${p.article}条〕` : '');
        if (!f) { unplaced.push(text); continue; }
        f.error.textContent = f.error.textContent ? `${f.error.textContent}；${text}` : text;
        f.input.setAttribute('aria-invalid', 'true');
        f.input.setAttribute('aria-errormessage', f.error.id);
        first ??= f.input;
      }
      replace(summary, h('p', { class: 'error' }, problems.length > 1 ? `有 ${problems.length} 处需要改正，任务未创建` : errorText(error)),
        unplaced.length > 0 && h('ul', { class: 'error' }, unplaced.map((t) => h('li', {}, t))));
      (first || summary).focus?.();
    }
  });
  return form;
}

function createdTable(cases, caption) {
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ['任务编号', '产品', '店铺', '随机选派的抽样人员（第20条）'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, cases.map((c) => h('tr', {},
      h('td', {}, c.url && caption.startsWith('已创建') ? h('a', { href: `#/cases/${encodeURIComponent(c.number)}` }, c.number) : c.number),
      h('td', {}, c.product), h('td', {}, c.shop),
      h('td', {}, (c.samplers || []).map((s) => `${s.name}（${s.id}）`).join('、'))))));
}

function problemsTable(problems) {
  return h('table', { class: 'problems' },
    h('caption', {}, `计划表中有 ${problems.length} 处问题，未创建任何任务；改正后重新选择文件`),
    h('thead', {}, h('tr', {}, ['行', '列', '列名', '填写的内容', '问题'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, problems.map((p) => h('tr', {},
      h('td', {}, String(p.row)), h('td', {}, p.column || '—'), h('td', {}, p.header || '—'), h('td', {}, p.value || ''),
      h('td', {}, p.message + (p.article ? `〔依据第${p.article}条〕` : ''))))));
}

function planImport() {
  const file = h('input', { id: 'plan-file', name: 'plan', type: 'file', accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', required: true });
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': '上传进度' });
  const result = h('div', { role: 'status', 'aria-live': 'polite' });
  const run = async (dryRun) => {
    if (!file.files.length) { replace(result, h('p', { class: 'error' }, '请先选择计划表文件')); file.focus(); return; }
    replace(result, h('p', { class: 'muted' }, dryRun ? '正在检查…' : '正在导入…'));
    progress.hidden = false;
    try {
      const sent = await uploadWithProgress(file.files[0], (part) => { progress.value = part; });
      const answer = await api.post('/api/cases/import', { upload: sent.upload, dry_run: dryRun });
      replace(result, dryRun
        ? createdTable(answer.cases, `检查通过：可以创建 ${answer.cases.length} 个任务（尚未保存；抽样人员在导入时重新随机选派）`)
        : createdTable(answer.cases, `已创建 ${answer.cases.length} 个任务`));
    } catch (error) {
      replace(result, error instanceof ApiError && error.problems.length ? problemsTable(error.problems) : h('p', { class: 'error' }, errorText(error)));
    } finally {
      progress.hidden = true;
    }
  };
  const form = h('form', { class: 'card plan-import', 'aria-labelledby': 'plan-title', onsubmit: (e) => { e.preventDefault(); run(false); } },
    h('h2', { id: 'plan-title' }, '导入抽查计划（多个任务）'),
    h('p', { class: 'muted' }, '一行一个任务，第 1 行为列名（与左侧表单相同）。支持 XLSX 和 CSV（UTF-8 或 GBK）。任何一行有问题时一个任务也不创建，并按行、列列出每处问题。'),
    h('p', {}, h('a', { href: '/api/cases/plan-template.csv', download: '抽查计划模板.csv' }, '下载计划表模板（CSV）')),
    h('label', { for: 'plan-file' }, '计划表文件'), file, progress,
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => run(true) }, '只检查'),
      h('button', { type: 'submit', class: 'primary' }, '导入')),
    result);
  return form;
}

export async function newCasesPage(main) {
  const plan = await api.get('/api/cases/plan-columns');
  const done = h('div', { role: 'status', 'aria-live': 'polite' });
  const onCreated = (view) => {
    const drawn = (view.people || []).filter((p) => p.role === 'sampler').map((p) => `${p.name}（${p.id}）`).join('、');
    replace(done, h('p', { class: 'card ok' }, '已创建任务 ', h('a', { href: `#/cases/${encodeURIComponent(view.number)}` }, view.number),
      `，随机选派抽样人员：${drawn}（第20条${view.draw ? `，随机种子 ${view.draw.seed}，可复核` : ''}）`));
    done.scrollIntoView?.();
  };
  replace(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← 抽样任务')),
    h('h1', {}, '新建抽样任务'),
    done,
    h('div', { class: 'new-cases' }, caseForm(plan.columns, plan.organizer, onCreated), planImport()));
}
