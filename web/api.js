// The service's JSON API from the page: the session cookie goes along by itself; every change carries the CSRF
// token the session gave (GET /api/session). An error is thrown as ApiError with the API's code, field,
// message and article, so a page can show the server's own words.
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code;
    this.field = e.field;
    this.article = e.article;
    this.problems = (body && body.problems) || [];  // every bad field or cell, where the route names them all
  }
}

let csrf = null;
export function setCsrf(token) { csrf = token; }

async function call(method, path, body, type) {
  const headers = {};
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let payload;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    payload = body;
    headers['Content-Type'] = type || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body) => call('POST', path, body ?? {}),
  del: (path) => call('DELETE', path),
  upload: (name, blob) => call('POST', `/api/uploads?name=${encodeURIComponent(name)}`, blob, blob.type),
};

// A file sent to POST /api/uploads with its progress reported (fetch cannot report an upload's progress).
export function uploadWithProgress(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/uploads?name=${encodeURIComponent(file.name)}`);
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener('load', () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body));
    });
    xhr.addEventListener('error', () => reject(new Error('上传中断：网络连接出错')));
    xhr.send(file);
  });
}

// "第36条" after an error's message when the regulation sets the rule.
export function errorText(error) {
  if (!(error instanceof ApiError)) return String(error && error.message || error);
  let text = error.message;
  if (error.field) text = `${text}（字段 ${error.field}）`;
  if (error.article) text = `${text}〔依据第${error.article}条〕`;
  return text;
}

// The `error` of a capture's result: a page's own words (a string), or at the top of a crawl that failed, the
// failure as an Error ({code, field, message}) that the service's jobs read.
export function captureError(error) {
  return typeof error === 'string' ? error : (error && error.message) || '';
}

// A job the service queued (202 with its URL): polled until it ended; `onState` hears each state on the way.
export async function waitForJob(job, onState = () => {}) {
  let current = job;
  while (current.state === 'queued' || current.state === 'running') {
    onState(current.state);
    await new Promise((resolve) => setTimeout(resolve, 700));
    current = await api.get(current.url);
  }
  return current;
}
