// The sampler's console beside the recorded screen: the seven steps of Art 35 with a key each, the fields the
// page on screen gives (to confirm or correct), the recorder's state and the environment findings. Talks only to
// the recorder that served it; the token came in the address's fragment (never sent in a request line or logged).
const token = location.hash.slice(1);
history.replaceState(null, '', location.pathname);  // the token out of the address bar
const $ = (id) => document.getElementById(id);
let state = null, open = null;  // open: {step, read}

async function call(method, path, body) {
  const response = await fetch(path, {
    method, headers: { 'X-Station-Token': token, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  const parsed = await response.json().catch(() => null);
  if (!response.ok) throw new Error((parsed && parsed.error && parsed.error.message) || `HTTP ${response.status}`);
  return parsed;
}

function text(element, value) { element.textContent = value; return element; }
function make(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}
function say(message, bad) { text($('message'), message).className = bad ? 'warning' : ''; }

function showRecorder(r) {
  const box = $('recorder');
  box.replaceChildren(make('h2', {}, '录像'));
  const rows = [
    ['已录', `${Math.round(r.elapsed_ms / 1000)} 秒，${r.frames} 帧，丢帧 ${r.dropped}，中断 ${r.gaps}`, r.dropped > 0 || r.gaps > 0],
    ['网络校时', r.time_verified ? `已校验，与本机差 ${(r.offset_us / 1000).toFixed(1)} 毫秒，误差 ±${(r.uncertainty_us / 1000).toFixed(1)} 毫秒` : '未经网络校验', !r.time_verified],
    ['最近时间戳', r.last_stamp ? `${r.last_stamp.at}（${r.last_stamp.tokens.length ? '已加盖' : '失败：' + r.last_stamp.failures.join('；')}）` : '尚无', r.last_stamp && !r.last_stamp.tokens.length],
    ['看门狗', r.watchdog ? `${r.watchdog.state || r.watchdog.type}` : '正常', r.watchdog && r.watchdog.state !== 'recovered'],
    ['磁盘', r.disk ? `剩余 ${(r.disk.free_bytes / 2 ** 30).toFixed(1)} GiB（约 ${Math.round(r.disk.minutes_left)} 分钟）` : '—', r.disk && r.disk.level !== 'ok'],
    ['网页存证', `${r.pages.records} 条记录`, false],
  ];
  for (const [name, value, bad] of rows) box.append(make('div', {}, make('b', {}, name + '：'), make('span', { className: bad ? 'bad' : '' }, value)));
}

function showSteps() {
  const list = $('steps');
  list.replaceChildren();
  state.steps.forEach((step, i) => {
    const button = make('button', { type: 'button' }, make('kbd', {}, String(i + 1)), ' ', step.label);
    button.addEventListener('click', () => begin(i));
    const marked = step.marked ? make('span', { className: 'done' }, `✓ 第 ${step.marked.frame} 帧`) : make('span', { className: 'unmarked' }, '未标记');
    list.append(make('li', {}, button, marked));
  });
}

function showEnvironment(findings) {
  const box = $('environment');
  box.replaceChildren(make('h2', {}, '取证环境'));
  for (const f of findings) box.append(make('div', { className: f.level === 'warning' ? 'warning' : '' }, `${f.level === 'warning' ? '⚠' : '✓'} ${f.title}：${f.level === 'warning' ? f.note : '正常'}`));
}

async function refresh() {
  try {
    state = await call('GET', '/api/state');
    text($('case'), `任务 ${state.case} · 第 ${state.seq} 次买样 · ${state.actor}`);
    showRecorder(state.recorder);
    showSteps();
    showEnvironment(state.environment);
  } catch (e) {
    say('录制程序没有应答：' + e.message, true);
  }
}

async function begin(index) {
  const step = state.steps[index];
  open = { step: step.id, read: {} };
  $('form').hidden = false;
  text($('form-title'), `${index + 1}. ${step.label}`);
  text($('form-source'), '正在读取屏幕上的页面…');
  $('form-problems').textContent = '';
  let read = { read: {}, rules: {}, missing: [], problems: [] };
  if (step.id !== 'time_check') {
    try {
      read = await call('POST', '/api/read', { step: step.id });
      text($('form-source'), `字段取自 ${read.url}；有误请直接改，改动会作为更正保存在网页原值旁边。`);
    } catch (e) {
      text($('form-source'), '网页未能读取：' + e.message + '。请逐项填写。');
    }
  } else {
    text($('form-source'), '网络校时：记录录制程序最近一次的 NTP 校时结果，并在录像中显示。');
  }
  open.read = read.read;
  const form = $('fields');
  form.replaceChildren();
  for (const f of step.fields) {
    const input = make('input', { name: f.name, value: read.read[f.name] ?? '', required: f.required });
    input.addEventListener('input', () => input.classList.toggle('corrected', input.value !== (read.read[f.name] ?? input.value)));
    form.append(make('label', {}, make('span', {}, f.label + (f.required ? '' : '（可选）')), input));
  }
  $('form-problems').textContent = [...read.problems, ...read.missing.map((m) => `页面上没有读到 ${m}`)].join('；');
  const first = form.querySelector('input');
  if (first) first.focus(); else $('confirm').focus();
}

async function confirm() {
  if (!open) return;
  const fields = {};
  for (const input of $('fields').querySelectorAll('input')) {
    if (input.value === '') continue;
    if (open.read[input.name] === input.value) continue;  // as the page said: the recorder reads it again at the mark
    fields[input.name] = input.value;
  }
  try {
    const marked = await call('POST', '/api/mark', { step: open.step, fields });
    const corrections = (marked.step.page && marked.step.page.corrections) || [];
    say(`已标记「${marked.step.step}」第 ${marked.step.frame} 帧` + (corrections.length ? `，更正 ${corrections.map((c) => c.field).join('、')}` : ''));
    cancel();
    refresh();
  } catch (e) {
    say('未能标记：' + e.message, true);
  }
}

function cancel() { open = null; $('form').hidden = true; }

$('confirm').addEventListener('click', confirm);
$('cancel').addEventListener('click', cancel);
$('finish').addEventListener('click', async () => {
  if (!window.confirm('结束买样：录像将封存、加盖时间戳并校验，之后不能再标记。确定结束？')) return;
  try { await call('POST', '/api/finish'); say('正在结束、封存并校验录像……'); } catch (e) { say(e.message, true); }
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') return cancel();
  if (event.key === 'Enter' && open) { event.preventDefault(); return confirm(); }
  if (event.target instanceof HTMLInputElement) return;  // typing a value, not choosing a step
  const index = Number(event.key) - 1;
  if (state && index >= 0 && index < state.steps.length) begin(index);
});
refresh();
setInterval(refresh, 2000);
