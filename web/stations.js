// The centre's stations (design/central.md): for its administrators each station and how far its chain has come; for
// everyone the cases the stations sent that they may see (a reviewer of the case, its organizer, ...: the rule of the
// centre's own cases), with their evidence bundle made here from the station's documents and chain, and their
// recordings arriving while they are made, with a player for what has arrived; a case's stored recordings open in the
// same player as the centre's own, where the case's reviewers record their findings and verdicts (kept at the centre).
import { api, errorText } from './api.js';
import { h, replace, beijing } from './dom.js';
import { recordingView } from './player.js';

function megabytes(bytes) { return `${(bytes / 1e6).toFixed(1)} MB`; }

function table(caption, headers, rows, empty) {
  return h('section', { class: 'card' }, h('h2', {}, caption),
    rows.length
      ? h('table', {}, h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))
      : h('p', { class: 'muted' }, empty));
}

// `admin`: the caller is one of the centre's administrators (the stations themselves are theirs). `opened`: the case
// whose recordings are shown (#/stations/<case>: a finding or verdict given reloads the page with it still open).
export async function stationsPage(main, admin, opened) {
  const data = await api.get('/api/stations');
  const player = h('section', { class: 'card', hidden: true, 'aria-live': 'polite' });
  const watch = (r) => {
    // A fresh copy of what has arrived each time: a recording in progress grows between two clicks.
    const src = `/api/stations/${encodeURIComponent(r.station)}/live/${r.key}/video?lines=${r.lines}`;
    replace(player,
      h('h2', {}, `${r.case}　${r.dir}（工作站 ${r.station}）`),
      h('p', {}, r.stored ? '已整份收存' : `录制中：已收到 ${r.lines} 行日志，录到 ${r.recorded_until ? beijing(r.recorded_until) : '—'}；再点“观看”可看到此后送达的部分`),
      h('video', { controls: true, preload: 'metadata', src, class: 'recording' }));
    player.hidden = false;
    player.scrollIntoView({ block: 'nearest' });
  };
  const review = h('section', { class: 'station-review', hidden: true, 'aria-live': 'polite' });
  const openCase = async (number) => {
    review.hidden = false;
    try {
      const list = await api.get(`/api/station-cases/${encodeURIComponent(number)}/recordings`);
      replace(review,
        h('h2', {}, `${number} 的录像（工作站 ${list.station}）`),
        h('p', { class: 'muted' }, list.may_review
          ? '您是本任务的审看人员：在录像下方记录意见和结论，保存在中心。'
          : '只有本任务指派的审看人员可以记录意见和结论。'),
        list.items.length
          ? h('div', { class: 'recordings' }, await Promise.all(list.items.map((r) => recordingView(r, { canReview: list.may_review, canAccept: false }))))
          : h('p', { class: 'muted' }, '工作站还没有送来本任务封存的录像'));
      review.dataset.case = number;
    } catch (error) {
      replace(review, h('p', { class: 'error', role: 'alert' }, errorText(error)));
    }
  };
  replace(main,
    h('h1', {}, '工作站'),
    admin && table('工作站', ['编号', '名称', '审计链', '状态'],
      data.stations.map((s) => h('tr', {},
        h('td', {}, s.id), h('td', {}, s.name), h('td', {}, s.head.seq ? `已收到第 ${s.head.seq} 条` : '尚未同步'),
        h('td', {}, s.revoked ? `已于 ${beijing(s.revoked)} 停用` : '在用'))),
      '还没有登记工作站（netsample station add）'),
    table('工作站送来的任务', ['任务编号', '产品', '状态', '工作站', '收到', ''],
      data.cases.map((c) => h('tr', {},
        h('td', {}, c.case), h('td', {}, (c.summary['抽样任务'] || '').replace(c.case, '').trim()), h('td', {}, c.summary['任务状态'] || ''),
        h('td', {}, c.owner && c.owner !== c.station ? `${c.station}（已移交 ${c.owner}）` : c.station),
        h('td', {}, beijing(c.received)),
        h('td', {}, h('a', { class: 'button', href: `#/stations/${encodeURIComponent(c.case)}`, 'aria-current': c.case === opened ? 'page' : null }, '审看录像'), ' ',
          h('a', { class: 'button', href: `/api/cases/${encodeURIComponent(c.case)}/export`, download: `${c.case}.zip` }, '下载证据包')))),
      admin ? '工作站还没有送来任务' : '工作站还没有送来您参与的任务'),
    table('逐段送达的录像（录制中即送）', ['任务编号', '工作站', '录像', '已收到', '进度', ''],
      data.live.map((r) => h('tr', {},
        h('td', {}, r.case), h('td', {}, r.station), h('td', {}, r.dir),
        h('td', {}, `${r.lines} 行，${megabytes(r.media_bytes)}`,
          r.stamps ? h('div', { class: 'muted' }, `录制中的时间戳 ${r.stamps} 个，中心核验通过 ${r.stamps_verified} 个`) : null),
        h('td', {}, r.stored ? '已整份收存' : `录制中，录到 ${r.recorded_until ? beijing(r.recorded_until) : '—'}`),
        h('td', {}, h('button', { type: 'button', onclick: () => watch(r) }, '观看')))),
      admin ? '还没有逐段送来的录像' : '您参与的任务还没有逐段送来的录像'),
    player,
    review);
  if (opened) {
    await openCase(opened);
    review.scrollIntoView({ block: 'start' });
  }
}
