// One case on one screen: what it is and where it stands, what the signed-in person may do next (buttons whose
// forms come from the lifecycle table), the recordings in a player with their steps, and the record: events,
// deadlines, notices with their receipts, the parcel's journey, the documents.
import { api, errorText, uploadWithProgress } from './api.js';
import { h, replace, beijing, beijingToday, daysBetween, articleText, deliveryText, dueText, provisionalHint } from './dom.js';
import { session } from './app.js';
import { recordingView } from './player.js';
import { capturesSection } from './captures.js';

function section(title, ...content) {
  const id = `section-${title}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

// A form for one lifecycle event, generated from its fields (text, date, number, boolean, choice, list).
function eventForm(number, transition, onDone) {
  const status = h('p', { class: 'error', role: 'alert' });
  const inputs = transition.fields.map((field) => {
    const id = `field-${transition.event}-${field.name}`;
    let input;
    if (field.type === 'boolean') input = h('input', { id, name: field.name, type: 'checkbox' });
    else if (field.type === 'choice')
      input = h('select', { id, name: field.name, required: field.required },
        h('option', { value: '' }, '请选择'), field.choices.map((c) => h('option', { value: c }, (field.choice_labels || {})[c] || c)));
    else if (field.type === 'date') input = h('input', { id, name: field.name, type: 'date', required: field.required, value: field.required ? beijingToday() : '' });
    else if (field.type === 'number' || field.type === 'integer') input = h('input', { id, name: field.name, type: 'number', required: field.required });
    else if (field.type === 'text_long' || field.type === 'list') input = h('textarea', { id, name: field.name, required: field.required, rows: 2 });
    else input = h('input', { id, name: field.name, required: field.required });
    return { field, input, row: h('div', { class: field.type === 'boolean' ? 'row check' : 'row' },
      h('label', { for: id }, field.label + (field.required ? ' *' : '')), input) };
  });
  const form = h('form', { class: 'event-form' },
    inputs.map((i) => i.row),
    h('p', { class: 'muted' }, `依据 ${articleText(transition.articles)}`),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, `确认：${transition.label}`),
      h('button', { type: 'button', onclick: () => form.closest('dialog').close() }, '取消')),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const fields = {};
    for (const { field, input } of inputs) {
      if (field.type === 'boolean') fields[field.name] = input.checked;
      else if (input.value.trim() === '') continue;
      else if (field.type === 'number' || field.type === 'integer') fields[field.name] = Number(input.value);
      else if (field.type === 'list') fields[field.name] = input.value.split(/\n+/).map((s) => s.trim()).filter(Boolean);
      else fields[field.name] = input.value.trim();
    }
    try {
      await api.post(`/api/cases/${encodeURIComponent(number)}/events/${transition.event}`, fields);
      form.closest('dialog').close();
      onDone();
    } catch (error) {
      status.textContent = errorText(error);
      const bad = inputs.find((i) => i.field.name === error.field);
      if (bad) bad.input.focus();
    }
  });
  return form;
}

// A lifecycle event as a button that opens its generated form.
function eventButton(number, t, reload) {
  const dialog = h('dialog', { 'aria-label': t.label }, h('h3', {}, t.label), eventForm(number, t, reload));
  return [h('button', { type: 'button', class: 'primary', onclick: () => dialog.showModal() }, t.label), dialog];
}

// The lab's receipt is done in its own panel (receiptPanel), not among the general buttons.
const receiptEvents = new Set(['lab_receive', 'lab_reject']);

function eventButtons(view, reload) {
  const events = view.available_events.filter((t) => !receiptEvents.has(t.event));
  if (!events.length) return null;
  return h('div', { class: 'events', role: 'group', 'aria-label': '可以办理的事项' }, events.map((t) => eventButton(view.number, t, reload)));
}

// Art 40: the lab checks the seals and the samples against the sampling document, photographs what it sees, and
// receives the samples or refuses them with its reasons.
function receiptPanel(view, evidence, reload) {
  const events = view.available_events.filter((t) => receiptEvents.has(t.event));
  if (!events.length) return null;
  const sealed = [...view.history].reverse().find((e) => e.event === 'seal');
  const f = sealed?.fields || {};
  const facts = [['检验样品封条编号', f.inspection_seal], ['备用样品封条编号', f.backup_seal], ['封样日期', f.sealed_date],
                 ['备用样品暂存地点', f.backup_storage], ['备用样品保管人', f.backup_keeper], ['批号', f.batch], ['生产日期', f.production_date]]
    .filter(([, v]) => v);
  const photos = evidence.items.filter((e) => e.kind === 'seal_photo' || e.kind === 'receipt_photo');
  const document = evidence.items.find((e) => e.kind === 'sampling_document' && /\.pdf$/i.test(e.name));
  return section('收样检查',
    h('p', { class: 'muted' }, '核对封条是否完好、样品与抽样文书是否相符（第40条）。检查时拍的照片先上传为证据，再收样或拒收。'),
    facts.length > 0 && h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    document && h('p', {}, h('a', { href: document.url, target: '_blank', rel: 'noopener' }, '网络抽样文书（PDF）'), ' ',
      pdfButton('网络抽样文书', document.url)),
    photos.length > 0 && h('ul', { class: 'photos' }, photos.map((e) => h('li', {},
      h('a', { href: e.url, target: '_blank', rel: 'noopener' }, h('img', { src: e.url, alt: `${e.kind === 'seal_photo' ? '封样照片' : '收样检查照片'} ${e.name}`, loading: 'lazy' }))))),
    evidenceUpload(view.number, reload, { id: 'receipt', kind: 'receipt_photo', accept: 'image/*', button: '上传检查照片' }),
    h('div', { class: 'events', role: 'group', 'aria-label': '收样或拒收' }, events.map((t) => eventButton(view.number, t, reload))));
}

function timeline(history) {
  return section('经过', h('ol', { class: 'timeline' }, history.map((e) => h('li', {},
    h('time', {}, beijing(e.at)), ' ',
    h('strong', {}, e.event_label || e.event), ` ${e.from_label || e.from} → ${e.to_label || e.to}`,
    h('span', { class: 'muted' }, `　${e.actor}　${articleText(e.articles)}`)))));
}

function deadlines(data) {
  const rows = data.deadlines.map((d) => {
    let left = '—';
    if (d.status !== 'open') left = '已结束';
    else if (!d.due) left = '暂不能确定（第75条）';
    else if (d.unit === 'days') {
      const n = daysBetween(data.today, d.due);
      left = n < 0 ? `已逾期 ${-n} 天` : `剩 ${n} 天`;
      if (d.provisional) left += '（按最早一日）';
    }
    return h('tr', { class: d.overdue ? 'overdue' : '' },
      h('td', {}, d.label), h('td', { title: d.provisional ? provisionalHint : null, class: d.provisional ? 'provisional' : null }, dueText(d)),
      h('td', {}, left), h('td', {}, articleText(d.article)));
  });
  return section('期限', h('table', {}, h('thead', {}, h('tr', {}, ['期限', '届满日', '剩余', '依据'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}

// A PDF (the sampling document, a notice, a lab report) in the page: the browser's own viewer in a frame, loaded
// only when opened (each reading is audited), with a way out to a window of its own.
export function pdfButton(title, url) {
  const inPlace = `${url}${url.includes('?') ? '&' : '?'}inline=1`;
  const frame = h('iframe', { title });
  const dialog = h('dialog', { class: 'pdf-viewer', 'aria-label': title },
    h('div', { class: 'viewer-head' }, h('h3', {}, title),
      h('a', { href: inPlace, target: '_blank', rel: 'noopener' }, '在新窗口打开'),
      h('button', { type: 'button', onclick: () => dialog.close() }, '关闭')),
    frame);
  const open = () => { if (frame.getAttribute('src') !== inPlace) frame.src = inPlace; dialog.showModal(); };
  return [h('button', { type: 'button', class: 'link view-pdf', onclick: open, 'aria-label': `在页内查看：${title}` }, '在页内查看'), dialog];
}

const partyRoles = { operator: '被抽样经营者', producer: '生产者', platform: '电商平台', network_supervision: '网络交易监管部门',
                     producer_region_bureau: '生产者所在地市场监管部门', applicant: '异议申请人' };

function notices(data) {
  if (!data.notices.length) return section('书面通知', h('p', { class: 'muted' }, '暂无'));
  return section('书面通知', h('ul', { class: 'plain' }, data.notices.map((n) => h('li', {},
    h('strong', {}, n.payload?.event_label || n.kind), `（${articleText(n.article)}）`,
    n.document && [' ', h('a', { href: n.document, target: '_blank', rel: 'noopener' }, '文书 PDF'), ' ',
                   pdfButton(n.payload?.event_label || n.kind, n.document)],
    h('ul', {}, n.deliveries.map((d) => h('li', {},
      `${partyRoles[d.role] || d.role} · `, h('span', { class: d.state === 'delivered' || d.state === 'received' ? 'ok' : 'warn' }, deliveryText(d.channel, d.state)),
      d.receipt?.time ? `　回执 ${beijing(d.receipt.time)}` : '')))))));
}

function tracking(data) {
  if (!data.parcels?.length) return null;
  return section('物流', data.parcels.map((p) => h('div', {},
    h('p', {}, `${p.courier} ${p.number || ''}`),
    h('ol', { class: 'timeline' }, p.events.map((e) => h('li', {}, h('time', {}, beijing(e.time)), ' ', e.context))))));
}

function documents(data) {
  // Documents, photos and reports; a recording's own files (video, journal, tokens, stills) are shown with it.
  const recordingFiles = new Set(['recording', 'playback', 'journal', 'recording_log', 'manifest', 'timestamp_token', 'still',
                                  'label_still', 'unboxing_video', 'import_record', 'web_capture', 'capture_summary']);
  const items = data.items.filter((e) => !recordingFiles.has(e.kind) && !/\.json$/i.test(e.name));
  if (!items.length) return null;
  return section('文书与照片', h('ul', { class: 'plain' }, items.map((e) => h('li', {},
    h('a', { href: e.url, target: '_blank', rel: 'noopener' }, e.name),
    /\.pdf$/i.test(e.name) && [' ', pdfButton(e.name, e.url)],
    h('span', { class: 'muted' }, `　${kindLabels[e.kind] || e.kind}（${e.kind}）　${beijing(e.added)}`)))));
}

const evidenceKinds = [['lab_report', '检验报告'], ['receipt_photo', '收样、封样检查照片'], ['seal_photo', '封样照片'],
                       ['rectification', '整改材料'], ['document', '其他文书']];
const kindLabels = { ...Object.fromEntries(evidenceKinds), sampling_document: '网络抽样文书', notice_document: '书面通知', attachment: '附件',
                     web_capture: '网页存证（WARC）' };

// A file stored as the case's evidence: uploaded with its progress shown, then registered with its kind.
// `fixed`: an upload of one kind ({id, kind, accept, button}), as the receipt panel's photos.
function evidenceUpload(number, reload, fixed) {
  const prefix = fixed ? fixed.id : 'evidence';
  const file = h('input', { id: `${prefix}-file`, name: 'file', type: 'file', required: true, accept: fixed?.accept });
  const kind = fixed ? { value: fixed.kind }
    : h('select', { id: 'evidence-kind', name: 'kind' }, evidenceKinds.map(([v, t]) => h('option', { value: v }, t)));
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': '上传进度' });
  const status = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'inline upload' },
    h('label', { for: `${prefix}-file` }, fixed ? '检查照片' : '文件'), file,
    !fixed && [h('label', { for: 'evidence-kind' }, '类别'), kind],
    h('button', { type: 'submit' }, fixed ? fixed.button : '上传并存为证据'), progress, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!file.files.length) return;
    status.textContent = '';
    progress.hidden = false;
    try {
      const sent = await uploadWithProgress(file.files[0], (part) => { progress.value = part; });
      await api.post(`/api/cases/${encodeURIComponent(number)}/evidence`, { upload: sent.upload, kind: kind.value });
      reload();
    } catch (error) {
      status.textContent = errorText(error);
      progress.hidden = true;
    }
  });
  return form;
}

// Art 20: who samples this case, and how they were drawn (anyone can recompute the draw from its seed).
function drawLine(view) {
  const roleNames = { sampler: '抽样人员', tester: '检验人员', reviewer: '审看人员' };
  const people = Object.entries(roleNames).map(([role, name]) => {
    const who = view.people.filter((p) => p.role === role).map((p) => `${p.name}（${p.id}）`);
    return who.length ? `${name} ${who.join('、')}` : null;
  }).filter(Boolean);
  const draw = view.draw ? `；抽样人员由第20条随机选派：从 ${view.draw.candidates.length} 名在岗抽样人员中抽取，随机种子 ${view.draw.seed}，可复核` : '';
  return h('p', { class: 'people' }, people.join(' · ') + draw);
}

export async function casePage(main, number) {
  const path = `/api/cases/${encodeURIComponent(number)}`;
  const [view, due, recordings, sent, parcels, evidence, captures] = await Promise.all([
    api.get(path), api.get(`${path}/deadlines`), api.get(`${path}/recordings`), api.get(`${path}/notices`),
    api.get(`${path}/tracking`).catch(() => ({ parcels: [] })), api.get(`${path}/evidence`), api.get(`${path}/captures`)]);
  const reload = () => casePage(main, number);
  const roles = session.who.roles || [];
  const canReview = roles.includes('reviewer');
  // The service decides (sampler, tester, organizer or district bureau of this case); the form is offered to those roles.
  const canAddEvidence = session.who.admin || ['sampler', 'tester', 'organizer', 'district'].some((r) => roles.includes(r));
  const canCapture = session.who.admin || ['sampler', 'organizer'].some((r) => roles.includes(r));
  replace(main,
    h('nav', { class: 'crumbs', 'aria-label': '位置' }, h('a', { href: '#/' }, '抽样任务'), ' / ', number),
    h('div', { class: 'case-head' },
      h('h1', {}, `${view.product.name}　${number}`),
      h('span', { class: `state state-${view.state}` }, view.state_label),
      h('p', {}, `${view.shop.name} · ${view.platform} · 生产者 ${view.producer.name}`),
      drawLine(view),
      h('a', { class: 'button', href: `${path}/export`, download: `${number}.zip` }, '下载证据包')),
    eventButtons(view, reload),
    receiptPanel(view, evidence, reload),
    h('div', { class: 'recordings' }, await Promise.all(recordings.items.map((r) => recordingView(r, { canReview, canAccept: roles.includes('organizer') })))),
    (captures.captures.length > 0 || canCapture) && capturesSection(number, captures, canCapture, reload),
    h('div', { class: 'columns' },
      timeline(view.history), deadlines(due), notices(sent), tracking(parcels),
      documents(evidence) || section('文书与照片', h('p', { class: 'muted' }, '暂无')),
      canAddEvidence && section('添加证据', evidenceUpload(number, reload))));
}
