// Plays and seeks a video of a running netsample serve in a real browser, as a reviewer's page would:
// signed in through POST /api/session (the HttpOnly cookie), a <video> on the service's own origin.
// Input: a JSON file named by the first argument (never the command line itself: the password is in it):
//   {"browser": "chromium"|"firefox", "executable": PATH, "base": "http://127.0.0.1:PORT",
//    "login": ID, "password": SECRET, "video": "/api/evidence/7", "seek": [2.5, 7.2, 1.0]}
// Output on stdout: {"browser", "version", "signed_in", "duration", "seeks": [{"asked", "at", "ready", "frame"}], "error"}
import puppeteer from 'puppeteer-core';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const profile = mkdtempSync(join(tmpdir(), 'netsample-browser-'));
const out = { browser: input.browser, seeks: [] };
let browser;
try {
  browser = await puppeteer.launch(input.browser === 'firefox'
    ? { browser: 'firefox', executablePath: input.executable, headless: true, userDataDir: profile,
        // Firefox shows JSON in its viewer page; the test reads it as text.
        extraPrefsFirefox: { 'devtools.jsonview.enabled': false, 'media.autoplay.default': 0 } }
    : { browser: 'chrome', executablePath: input.executable, headless: true, userDataDir: profile,
        args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'] });
  out.version = await browser.version();
  const page = await browser.newPage();
  await page.goto(input.base + '/healthz');
  out.signed_in = await page.evaluate(async (login, password) => {
    const r = await fetch('/api/session', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                            body: JSON.stringify({ login, password }) });
    return r.status;
  }, input.login, input.password);

  const result = await page.evaluate(async (src, times) => {
    const video = document.createElement('video');
    video.muted = true;
    video.preload = 'auto';
    document.body.appendChild(video);
    const until = (event, ms) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms (readyState ${video.readyState}, ` +
                                                      `networkState ${video.networkState}, error ${video.error && video.error.code})`)), ms);
      video.addEventListener(event, () => { clearTimeout(timer); resolve(); }, { once: true });
      video.addEventListener('error', () => { clearTimeout(timer); reject(new Error(`media error ${video.error && video.error.code}: ${video.error && video.error.message}`)); }, { once: true });
    });
    // A small picture of the frame shown: different positions must show different frames.
    const canvas = document.createElement('canvas');
    canvas.width = 32; canvas.height = 18;
    const picture = () => {
      const context = canvas.getContext('2d');
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let sum = 0;
      for (let i = 0; i < pixels.length; i += 4) sum = (sum * 31 + pixels[i] + 3 * pixels[i + 1] + 7 * pixels[i + 2]) % 1000000007;
      return sum;
    };
    const loaded = until('loadeddata', 20000);
    video.src = src;
    await loaded;
    const seeks = [];
    for (const t of times) {
      const seeked = until('seeked', 20000);
      video.currentTime = t;
      await seeked;
      if (video.readyState < 2) await until('canplay', 20000);
      seeks.push({ asked: t, at: video.currentTime, ready: video.readyState, frame: picture() });
    }
    return { duration: Number.isFinite(video.duration) ? video.duration : String(video.duration), seekable_end: video.seekable.length ? video.seekable.end(0) : null, seeks };
  }, input.video, input.seek);
  Object.assign(out, result);
} catch (e) {
  out.error = String(e && e.message || e);
} finally {
  if (browser) await browser.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + '\n');
