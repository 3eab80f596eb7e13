// The sampler's station console in Debian's Chromium (playwright-core, headless), as a sampler uses it beside the
// recorded screen: the address with its token from the terminal, key 4 for the product page, the fields the page
// gave shown for confirming, one corrected, Enter to mark. Checked with axe-core and photographed.
// Input: a JSON file named by the first argument: {"url": console URL with its token, "shot": PNG path}.
// Output on stdout: {"steps": [labels], "proposed": {field: value}, "marked": message, "axe": [...]} or {"error"}.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const out = {};
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  await page.goto(input.url);
  await page.locator('#steps li').nth(6).waitFor();
  out.steps = await page.locator('#steps li button').allInnerTexts();
  out.address_after_load = page.url();
  await page.locator('body').press('4');  // 样品网页展示信息
  await page.locator('#fields input[name="price"]').waitFor();
  await page.waitForFunction(() => document.querySelector('#fields input[name="title"]').value !== '');
  out.proposed = {};
  for (const input of await page.locator('#fields input').all()) out.proposed[await input.getAttribute('name')] = await input.inputValue();
  out.source = await page.locator('#form-source').innerText();
  await page.locator('#fields input[name="model"]').fill('QS-1701 型');
  await page.locator('#fields input[name="model"]').press('Enter');
  await page.waitForFunction(() => document.querySelector('#message').textContent.startsWith('已标记'));
  out.marked = await page.locator('#message').innerText();
  await page.evaluate(axeSource);
  out.axe = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`));
  await page.screenshot({ path: input.shot, fullPage: true });
  const stranger = await browser.newPage();  // the address without its token
  const response = await stranger.goto(input.url.split('#')[0] + 'api/state');
  out.without_token = response.status();
} catch (error) {
  out.error = String(error && error.stack || error);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
