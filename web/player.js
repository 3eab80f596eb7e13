// A recording for review: the video (the service plays the frame-identical playback copy where there is one),
// the Art 35 / Art 36 steps as chapters — a click seeks, the step being played is shown with its still — the
// verify report as four badges whose details put any gap on the time bar, the findings on the same bar, and the
// reviewer's finding and verdict forms. Beside a purchase's video, the page that was on screen at the video's time,
// replayed from the recording's pages.warc.gz by ReplayWeb.page on the service's replay origin (design/web.md).
import { api, errorText } from './api.js';
import { h, replace, beijing, mediaTime } from './dom.js';

const kinds = { purchase: '买样录像（第35条）', unboxing: '拆封录像（第36条）' };
const severities = [['info', '提示'], ['minor', '一般'], ['major', '严重']];
const verdicts = [['no_doubts', '无疑问'], ['doubts', '有疑问'], ['rejected', '不予认可']];

function badges(report) {
  if (!report) return h('p', { class: 'warn' }, '尚无校验结果');
  const checks = report.hash_chain_ok === undefined
    ? [['连续', report.continuous], ['哈希', report.hash_ok], ['可信时间戳', report.tokens_ok > 0]]  // an imported video
    : [['连续', report.continuous], ['网络校时', report.time_synced], ['哈希链', report.hash_chain_ok], ['可信时间戳', report.timestamp_token_ok]];
  return h('ul', { class: 'badges', 'aria-label': '录像校验' },
    checks.map(([name, ok]) => h('li', { class: ok ? 'ok' : 'bad' }, `${ok ? '✓' : '✗'} ${name}`)),
    h('li', { class: report.ok ? 'ok' : 'bad' }, report.ok ? '校验通过' : '校验未通过'));
}

function reportDetails(report) {
  if (!report) return null;
  const lines = [...(report.errors || []).map((e) => ['问题', e]), ...(report.warnings || []).map((w) => ['注意', w])];
  for (const g of report.gaps || []) lines.push(['间断', `第 ${g.frame} 帧前 ${beijing(g.time)} 起 ${g.duration_ms} 毫秒（${g.reason}）`]);
  const time = report.details?.time;
  return h('details', { class: 'report' }, h('summary', {}, '校验详情'),
    h('p', {}, `帧 ${report.frames ?? '—'}，时长 ${Number(report.duration_s || 0).toFixed(1)} 秒，开始于 ${report.started || '—'}`),
    time && h('p', {}, `网络校时：样本 ${time.samples}，误差 ±${time.best_uncertainty_ms ?? '—'} 毫秒`),
    report.details?.playback && h('p', {}, `回放副本：${report.details.playback.same_frames ? '与录像逐帧相同' : '与录像不同'}`),
    lines.length ? h('ul', {}, lines.map(([k, v]) => h('li', {}, `${k}：${v}`))) : h('p', { class: 'ok' }, '没有问题'));
}

const codeFormats = { QRCode: '二维码', Code128: '条码（Code 128）', 'EAN-13': '商品条码（EAN-13）', DataMatrix: 'Data Matrix 码' };

// The codes read off the waybill and the sample's labels (Art 36), each on the frame where it was read best with
// the code boxed in red; a click on the time seeks the video there.
function labelList(r, seek) {
  if (!r.labels?.length) return null;
  return h('div', { class: 'labels' },
    h('h3', {}, `读取的面单与标签（${r.labels.length}）`),
    h('ul', { class: 'label-list' }, r.labels.map((l) => h('li', {},
      h('figure', {},
        l.still && h('img', { src: l.still, alt: `${codeFormats[l.format] || l.format}：${l.text}（红框为读取位置）`, loading: 'lazy' }),
        h('figcaption', {},
          h('strong', {}, codeFormats[l.format] || l.format), ' ', h('span', { class: 'code-text' }, l.text), h('br'),
          h('button', { type: 'button', class: 'link', onclick: () => seek(l.time_s * 1000), 'aria-label': `跳到 ${mediaTime(l.time_s)}：${l.text}` },
            mediaTime(l.time_s)),
          h('span', { class: 'muted' }, `　出现 ${l.sightings} 帧`)))))));
}

// The environment check's findings; those that could let someone fake a page make the purchase incomplete until an
// organizer of the case accepts them with a reason (Art 35), which the organizer can do here.
function environment(r, { canAccept }) {
  const session = r.session;
  const env = session?.environment;
  if (!env) return null;
  const faking = env.findings.filter((f) => f.could_fake);
  const accepted = session.environment_acceptance;
  const status = h('div', { 'aria-live': 'polite' });
  const show = (acceptance) => {
    if (acceptance) {
      replace(status, h('p', { class: 'ok accepted' }, `组织者 ${acceptance.by} 于 ${beijing(acceptance.at)} 接受了这些发现：${acceptance.reason}`));
    } else if (faking.length) {
      replace(status, h('p', { class: 'warn' }, `有 ${faking.length} 项可能伪造网页的发现：买样不完整，须由任务的组织人员写明理由后接受（第三十五条）。`),
        canAccept && acceptForm());
    }
  };
  const acceptForm = () => {
    const reason = h('textarea', { id: `accept-${r.id}`, rows: 2, required: true, minlength: 6 });
    const error = h('p', { class: 'error', role: 'alert' });
    return h('form', { class: 'accept-environment', onsubmit: async (event) => {
      event.preventDefault();
      try {
        const updated = await api.post(`${r.url}/environment-acceptance`, { reason: reason.value.trim() });
        show(updated.environment_acceptance);
      } catch (e) {
        error.textContent = errorText(e);
      }
    } },
    h('label', { for: `accept-${r.id}` }, '接受理由（为什么这些发现不影响所取证据）'), reason,
    h('button', { type: 'submit' }, '接受取证环境的发现'), error);
  };
  show(accepted);
  return h('details', { class: 'report', open: faking.length > 0 && !accepted },
    h('summary', {}, `取证环境检查：${env.clean ? '干净' : faking.length ? (accepted ? '有可能伪造网页的发现（已接受）' : '有可能伪造网页的发现') : '有提示'}`),
    h('ul', {}, env.findings.map((f) => h('li', { class: f.level === 'ok' ? '' : 'warn' },
      `${f.title}：${f.level === 'ok' ? '正常' : '注意'}${f.note ? '，' + f.note : ''}`, f.could_fake ? h('strong', {}, '（可能伪造网页）') : null))),
    status);
}

// What each Art 35 step recorded and where each value came from: read from the page on screen (its DOM, or a
// licence picture by OCR), or typed by the sampler; a correction shows what the page said beside what was entered.
function stepRecords(r) {
  const steps = r.session?.steps;
  if (r.kind !== 'purchase' || !steps?.length) return null;
  const specs = Object.fromEntries((r.step_specs || []).map((s) => [s.step, s]));
  // The recorder's NTP answer in words; any other structured value as it was stored.
  const shown = (value) => (value && typeof value === 'object'
    ? ('server' in value ? `${value.server}，偏差 ${value.offset_ms} 毫秒，往返 ${value.delay_ms} 毫秒，${value.verified ? '已校验' : '未校验'}，可信时间 ${beijing(value.trusted_time)}`
      : JSON.stringify(value))
    : String(value));
  const source = (rule) => (!rule ? '抽样人员填写' : rule.startsWith('ocr:') ? `识别自图片 ${rule.slice(4)}` : '读自网页');
  return h('details', { class: 'report steps-read' }, h('summary', {}, `各步骤记录的内容（${steps.length}）`),
    h('table', { class: 'step-fields' },
      h('thead', {}, h('tr', {}, h('th', {}, '步骤'), h('th', {}, '项目'), h('th', {}, '内容'), h('th', {}, '来源'))),
      h('tbody', {}, steps.flatMap((step) => {
        const spec = specs[step.step] || { label: step.step, fields: {} };
        const page = step.page || {};
        const corrected = Object.fromEntries((page.corrections || []).map((c) => [c.field, c]));
        return Object.entries(step.fields || {}).map(([name, value], i) => h('tr', { class: corrected[name] ? 'corrected' : '' },
          h('td', {}, i === 0 ? `${spec.label}（第 ${step.frame} 帧）` : ''),
          h('td', {}, spec.fields[name] || name),
          h('td', {}, shown(value)),
          h('td', {}, step.step === 'time_check' ? '录制程序网络校时'
            : corrected[name] ? `已更正：网页显示“${corrected[name].page}”` : page.read && name in page.read ? source(page.rules?.[name]) : '抽样人员填写')));
      }))));
}

// The preserved pages: a list of the tab's navigations (a click seeks the video to it) and the replay of the one
// on screen at the video's time. The replay runs on its own origin (the archived pages' scripts never see this
// page or its session); following the video only changes the frame's fragment (#url=…&ts=…).
async function pagesPanel(r) {
  if (r.kind !== 'purchase' || !r.finished) return null;
  let pages;
  try {
    pages = await api.get(`${r.url}/pages`);
  } catch (error) {
    return { element: h('p', { class: 'error', role: 'alert' }, `网页回放：${errorText(error)}`), follow: () => {} };
  }
  if (!pages.kept) return { element: h('p', { class: 'muted pages-none' }, pages.why), follow: () => {} };
  const navigations = pages.navigations || [];
  const heading = h('p', { class: 'page-now', 'aria-live': 'polite' }, '');
  const file = h('p', { class: 'muted' }, `保存的网页：${pages.file.records} 条 WARC 记录，${Math.round(pages.file.size / 1024)} KB，SHA-256 ${pages.file.sha256.slice(0, 16)}…（与录像同一哈希链）`);
  let frame = null;
  let current = -2;
  const address = (i) => {
    const n = navigations[i];
    const query = new URLSearchParams({ source: pages.replay.source, customColl: pages.replay.collection, embed: 'replayonly' });
    return `${pages.replay.page}?${query}#${new URLSearchParams({ url: n.url, ts: n.ts })}`;
  };
  const buttons = navigations.map((n, i) => h('li', {},
    h('button', { type: 'button', class: 'chapter', dataset: { page: String(i) }, onclick: () => seekTo(n.media_ms) },
      `${mediaTime(n.media_ms / 1000)}　${n.url}`)));
  let seekTo = () => {};
  const follow = (ms) => {
    let i = -1;
    navigations.forEach((n, j) => { if (n.media_ms <= ms + 1) i = j; });
    if (i === current) return;
    current = i;
    buttons.forEach((li, j) => li.firstChild.classList.toggle('current', i === j));
    if (i < 0) {
      heading.textContent = '此时还没有打开网页';
      return;
    }
    const n = navigations[i];
    heading.textContent = `此刻屏幕上的网页（第 ${n.frame} 帧起，${beijing(n.time)}）：${n.url}`;
    if (!frame) return;
    frame.dataset.page = String(i);
    frame.dataset.url = n.url;
    frame.src = address(i);
  };
  if (!pages.replay) {
    return { element: h('section', { class: 'pages' }, h('h3', {}, '保存的网页'), file, heading,
      h('p', { class: 'muted' }, '本服务未开启网页回放（serve --replay-listen off）'), h('ol', { class: 'chapters page-list' }, buttons)),
    follow, setSeek: (f) => { seekTo = f; } };
  }
  frame = h('iframe', { class: 'replay', title: '回放的网页（录像此刻屏幕上的页面）', src: navigations.length ? address(0) : `${pages.replay.page}`,
    referrerpolicy: 'no-referrer' });
  if (navigations.length) { frame.dataset.page = '0'; frame.dataset.url = navigations[0].url; }
  current = navigations.length ? -2 : -1;
  return {
    element: h('section', { class: 'pages', 'aria-label': '保存的网页' }, h('h3', {}, '录像此刻的网页（从保存的 WARC 回放）'), heading, frame,
      h('details', {}, h('summary', {}, `打开过的网页（${navigations.length}，点击跳到录像中的时刻）`), h('ol', { class: 'chapters page-list' }, buttons)), file),
    follow,
    setSeek: (f) => { seekTo = f; },
  };
}

// At the centre, a station's case shows its own reviewers' findings and verdicts beside the centre's.
const byStation = (item) => (item.station_review ? '（工作站审看）' : '');

export async function recordingView(summary, { canReview, canAccept }) {
  const r = await api.get(summary.url);
  const report = r.session?.verify || r.session?.import_check || null;
  const duration = r.duration_s || 0;
  const video = h('video', { controls: true, preload: 'metadata', src: r.video, 'aria-label': kinds[r.kind] || r.id },
    h('track', { kind: 'chapters', src: r.chapters, default: true, srclang: 'zh', label: '步骤' }));
  const nowStep = h('p', { class: 'now-step', 'aria-live': 'polite' }, '');
  const nowStill = h('img', { class: 'now-still', alt: '' });
  const bar = h('div', { class: 'timebar', 'aria-hidden': 'true' });
  const at = (ms) => `${Math.min(100, (ms / 1000 / (duration || 1)) * 100)}%`;
  const seek = (ms) => { video.currentTime = ms / 1000; };

  const chapterButtons = r.markers.map((m, i) => h('li', {},
    h('button', { type: 'button', class: 'chapter', dataset: { step: m.step, index: String(i) }, onclick: () => { seek(m.start_ms); show(i); } },
      `${mediaTime(m.start_ms / 1000)}　${m.title}`)));
  const show = (i) => {
    chapterButtons.forEach((li, j) => li.firstChild.classList.toggle('current', i === j));
    const m = r.markers[i];
    nowStep.textContent = m ? `当前步骤：${m.title}` : '';
    if (m && m.still) { nowStill.src = m.still; nowStill.alt = `${m.title}的静帧`; nowStill.dataset.step = m.step; }
  };
  const pages = await pagesPanel(r);
  pages?.setSeek?.(seek);
  video.addEventListener('timeupdate', () => {
    const ms = video.currentTime * 1000;
    let current = -1;
    r.markers.forEach((m, i) => { if (m.start_ms <= ms + 1) current = i; });
    show(current);
    pages?.follow(ms);
  });
  pages?.follow(0);

  for (const m of r.markers) bar.append(h('span', { class: 'mark step', style: { left: at(m.start_ms) }, title: m.title }));
  for (const g of report?.gaps || []) {
    const ms = report.frames ? (g.frame / report.frames) * duration * 1000 : 0;  // the gap's place by its frame
    bar.append(h('span', { class: 'mark gap', style: { left: at(ms) }, title: `间断 ${g.duration_ms} 毫秒` }));
  }
  const findings = r.review?.findings || [];
  for (const f of findings) bar.append(h('span', { class: 'mark finding', style: { left: at(f.media_ms) }, title: f.note, dataset: { finding: String(f.id) } }));

  const stills = h('ul', { class: 'stills', 'aria-label': '步骤静帧' }, r.markers.filter((m) => m.still).map((m) => h('li', {},
    h('button', { type: 'button', onclick: () => seek(m.start_ms), title: m.title }, h('img', { src: m.still, alt: m.title, loading: 'lazy' })))));

  const findingList = h('ul', { class: 'findings' }, findings.map((f) => h('li', {},
    h('button', { type: 'button', class: 'link', onclick: () => seek(f.media_ms) }, mediaTime(f.media_ms / 1000)),
    `　[${f.severity_label}] ${f.note}　`, h('span', { class: 'muted' }, `${f.reviewer}${byStation(f)} ${beijing(f.at)}`))));
  const verdictList = (r.review?.verdicts || []).filter((v) => v.current).map((v) =>
    h('p', { class: v.verdict === 'no_doubts' ? 'ok' : 'warn' }, `审看结论：${v.verdict_label}${v.reasons.length ? '（' + v.reasons.join('；') + '）' : ''}　${v.reviewer}${byStation(v)}`));

  // Checked again on the service from the stored files (an imported video has no report until then).
  const verdictBadges = h('div', {}, badges(report));
  const verifyButton = h('button', { type: 'button', onclick: async () => {
    verifyButton.disabled = true;
    verifyButton.textContent = '正在校验……';
    try {
      const checked = await api.post(`${r.url}/verify`);
      replace(verdictBadges, badges(checked.report), reportDetails(checked.report));
      verifyButton.textContent = '重新校验';
    } catch (error) {
      replace(verdictBadges, h('p', { class: 'error', role: 'alert' }, errorText(error)));
      verifyButton.textContent = '重新校验';
    }
    verifyButton.disabled = false;
  } }, report ? '重新校验' : '立即校验');

  return h('section', { class: 'card recording', 'aria-labelledby': `rec-${r.id}` },
    h('h2', { id: `rec-${r.id}` }, kinds[r.kind] || r.id),
    h('div', { class: 'verify-row' }, verdictBadges, verifyButton),
    h('div', { class: pages ? 'player with-pages' : 'player' },
      h('div', { class: 'screen' }, video, bar),
      pages?.element,
      h('div', { class: 'side' },
        h('ol', { class: 'chapters', 'aria-label': '步骤（点击跳转）' }, chapterButtons),
        nowStep, nowStill)),
    stills,
    labelList(r, seek),
    reportDetails(report),
    stepRecords(r),
    environment(r, { canAccept }),
    h('h3', {}, '审看意见'),
    findings.length ? findingList : h('p', { class: 'muted' }, '暂无审看意见'),
    verdictList,
    canReview && reviewForms(r, video));
}

function reviewForms(r, video) {
  const status = h('p', { class: 'error', role: 'alert' });
  const note = h('input', { id: `note-${r.id}`, name: 'note', required: true });
  const severity = h('select', { id: `severity-${r.id}`, name: 'severity' }, severities.map(([v, t]) => h('option', { value: v }, t)));
  const finding = h('form', { class: 'inline' },
    h('label', { for: `note-${r.id}` }, '在当前时间记一条意见'), note,
    h('label', { for: `severity-${r.id}` }, '程度'), severity,
    h('button', { type: 'submit' }, '记录意见'));
  finding.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api.post(`${r.url}/findings`, { media_ms: Math.round(video.currentTime * 1000), severity: severity.value, note: note.value.trim() });
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (error) { status.textContent = errorText(error); }
  });
  const verdict = h('select', { id: `verdict-${r.id}`, name: 'verdict' }, verdicts.map(([v, t]) => h('option', { value: v }, t)));
  const reasons = h('input', { id: `reasons-${r.id}`, name: 'reasons' });
  const verdictForm = h('form', { class: 'inline' },
    h('label', { for: `verdict-${r.id}` }, '本录像的结论'), verdict,
    h('label', { for: `reasons-${r.id}` }, '理由（有疑问或不予认可时必填，用；分隔）'), reasons,
    h('button', { type: 'submit' }, '提交结论'));
  verdictForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const list = reasons.value.split(/[;；]/).map((s) => s.trim()).filter(Boolean);
      await api.post(`${r.url}/verdict`, list.length ? { verdict: verdict.value, reasons: list } : { verdict: verdict.value });
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (error) { status.textContent = errorText(error); }
  });
  return h('div', { class: 'review' }, finding, verdictForm, status);
}
