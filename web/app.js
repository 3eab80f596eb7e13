// netsample's web UI: one page, hash routes (#/ the case list, #/cases/NUMBER a case, #/stations the centre's
// stations), plain modules served by `netsample serve` from the binary (design/web.md).
import { api, setCsrf, errorText, ApiError } from './api.js';
import { h, replace } from './dom.js';
import { caseList } from './cases.js';
import { casePage } from './case.js';
import { publishedPage } from './published.js';
import { deadlineBoard } from './deadlines.js';
import { newCasesPage } from './plan.js';
import { stationsPage } from './stations.js';

const main = document.getElementById('main');
const whoBar = document.getElementById('who');
export const session = { who: null, lifecycle: null };

const roleNames = { sampler: '抽样人员', tester: '检验人员', organizer: '组织人员', district: '区县局', reviewer: '审看人员' };
export function rolesText(who) {
  const roles = (who.roles || []).map((r) => roleNames[r] || r);
  if (who.admin) roles.push('管理员');
  if (who.party) roles.push('收件方');
  return roles.join('、');
}

// Organizers open their unit's cases (Art 4, 5); an administrator may for any unit.
export function mayOpenCases() {
  return Boolean(session.who && (session.who.admin || (session.who.roles || []).includes('organizer')));
}

// At a centre: its administrators (the stations, every case) and the people of the stations' cases (design/web.md).
function mayOpenStations() {
  return Boolean(session.who && !session.who.party && (session.who.admin || session.who.centre));
}

function showWho() {
  if (!session.who) return replace(whoBar);
  replace(whoBar,
    !session.who.party && h('a', { href: '#/deadlines', class: 'nav' }, '期限一览'),
    mayOpenCases() && h('a', { href: '#/new', class: 'nav' }, '新建任务 / 导入计划'),
    mayOpenStations() && h('a', { href: '#/stations', class: 'nav' }, '工作站'),
    h('span', { class: 'who' }, `${session.who.name || session.who.login}（${rolesText(session.who) || '无角色'}）`),
    h('button', { type: 'button', class: 'link', onclick: signOut }, '退出登录'));
}

async function signOut() {
  try { await api.del('/api/session'); } catch { /* signed out either way */ }
  session.who = null;
  setCsrf(null);
  showWho();
  location.hash = '#/';
  route();
}

function signInPage(message) {
  const login = h('input', { id: 'login', name: 'login', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('p', { class: 'error', role: 'alert' }, message || '');
  const form = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, '登录'),
    h('label', { for: 'login' }, '账号（名册编号）'), login,
    h('label', { for: 'password' }, '密码'), password,
    h('button', { type: 'submit', class: 'primary' }, '登录'),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.textContent = '';
    try {
      session.who = await api.post('/api/session', { login: login.value.trim(), password: password.value });
      setCsrf(session.who.csrf_token);
      showWho();
      route();
    } catch (error) {
      status.textContent = error instanceof ApiError && error.status === 401 ? '账号或密码不正确' : errorText(error);
      password.select();
    }
  });
  replace(main, form);
  login.focus();
}

async function ensureSession() {
  if (session.who) return true;
  try {
    session.who = await api.get('/api/session');
    setCsrf(session.who.csrf_token);
    showWho();
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return false;
    throw error;
  }
}

export async function lifecycle() {
  if (!session.lifecycle) session.lifecycle = await api.get('/api/lifecycle');
  return session.lifecycle;
}

async function route() {
  try {
    if (!(await ensureSession())) return signInPage();
    const hash = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
    const match = hash.match(/^\/cases\/(.+)$/);
    if (session.who.party) await publishedPage(main);  // a party sees only what was published to it (Art 62)
    else if (match) await casePage(main, match[1]);
    else if (hash.startsWith('/deadlines')) await deadlineBoard(main, hash);
    else if (hash === '/new' && mayOpenCases()) await newCasesPage(main);
    else if (hash.match(/^\/stations(\/|$)/) && mayOpenStations()) await stationsPage(main, Boolean(session.who.admin), hash.slice('/stations/'.length) || null);
    else await caseList(main, hash);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      session.who = null;
      showWho();
      return signInPage('登录已过期，请重新登录');
    }
    replace(main, h('p', { class: 'error', role: 'alert' }, errorText(error)));
  }
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
route();
