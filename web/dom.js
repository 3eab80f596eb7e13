// A few helpers instead of a framework: elements are made by h(), text is always set as text (never as HTML),
// so nothing a shop's name or a note contains can run as code.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'style') Object.assign(el.style, value);  // through the CSSOM: the page's policy forbids inline style
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// Times are stored in UTC and shown in Beijing time with the zone (the API already gives +08:00).
export function beijing(iso) {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/\.\d+/, '').replace('+08:00', ' (UTC+8)');
}

export function mediaTime(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

// Today's date in Beijing (YYYY-MM-DD), as the page's clock has it: a form's default, a list's days left.
export function beijingToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

// Days from `today` to `due` (both YYYY-MM-DD, Beijing dates): negative when past.
export function daysBetween(today, due) {
  return Math.round((Date.parse(due + 'T00:00:00Z') - Date.parse(today + 'T00:00:00Z')) / 86400000);
}

// A deadline's last day as the calendar knows it: "2027-01-04", or while the year's holiday notice is not loaded
// the range it can fall in, "2027-01-04 至 2027-01-07（暂定）" (Art 75); never hidden.
export function dueText(d) {
  if (!d.due) return '暂不能确定';
  if (!d.provisional) return d.due;
  return d.due_latest && d.due_latest !== d.due ? `${d.due} 至 ${d.due_latest}（暂定）` : `${d.due}（暂定）`;
}

export const provisionalHint = '该年节假日安排尚未公布：按法定节假日与周末推算最早与最晚的届满日，逾期按最早一日判断（第75条）';

export function articleText(article) {
  if (!article) return '';
  return String(article).split(/[,，\s]+/).filter(Boolean).map((a) => `第${a}条`).join('、');
}

// A delivery's state and channel in words (notices: webhook, e-mail, registered mail with its receipt).
const deliveryStates = { pending: '待送达', sending: '发送中', delivered: '已送达', retrying: '重试中', dead: '送达失败（已停止重试）', posted: '已寄出',
                         received: '已签收', returned: '被退回' };
const channels = { webhook: '接口推送', email: '电子邮件', post: '挂号信' };
export function deliveryText(channel, state) {
  return `${channels[channel] || channel} ${deliveryStates[state] || state}`;
}
