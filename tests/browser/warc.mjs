// Reads a .warc.gz with warcio (npm: an implementation we did not write) and recomputes every record's digests:
// WARC-Block-Digest over the block as stored, WARC-Payload-Digest over the HTTP entity body with the transfer
// encoding removed (de-chunked here, independently of netsample's code) and the content encoding kept.
// Output on stdout: {"records": [{type, id, uri, concurrent_to, truncated, content_type, status, block_ok,
// payload_ok (null when no payload digest), payload_bytes, payload_sha256}]} or {"error": ...}.
import { WARCParser } from 'warcio';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';

const sha256 = (bytes) => 'sha256:' + createHash('sha256').update(bytes).digest('hex');

function dechunk(body) {
  const parts = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return null;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0].trim(), 16);
    if (Number.isNaN(size)) return null;
    at = lineEnd + 2;
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(at, at + size));
    at += size + 2;
  }
}

function payloadOf(block) {
  const split = block.indexOf('\r\n\r\n', 0, 'latin1');
  if (split < 0) return null;
  const head = block.subarray(0, split).toString('latin1');
  const body = block.subarray(split + 4);
  return /^transfer-encoding:.*chunked/im.test(head) ? dechunk(body) : body;
}

try {
  const out = [];
  const parser = new WARCParser(createReadStream(process.argv[2]), { parseHttp: false });
  for await (const record of parser) {
    const block = Buffer.from(await record.readFully());
    const type = record.warcType;
    const item = { type, id: record.warcHeader('WARC-Record-ID'), uri: record.warcTargetURI || null,
                   concurrent_to: record.warcHeader('WARC-Concurrent-To') || null, truncated: record.warcHeader('WARC-Truncated') || null,
                   content_type: record.warcContentType, date: record.warcDate, ip: record.warcHeader('WARC-IP-Address') || null,
                   block_ok: record.warcBlockDigest ? record.warcBlockDigest === sha256(block) : null, payload_ok: null, payload_bytes: null };
    if (type === 'response' || type === 'request') item.status = block.subarray(0, block.indexOf('\r\n', 0, 'latin1')).toString('latin1');
    if (type === 'metadata' || type === 'warcinfo') item.text = block.toString('utf8');
    if (record.warcPayloadDigest) {
      const payload = type === 'resource' ? block : payloadOf(block);
      item.payload_ok = payload !== null && record.warcPayloadDigest === sha256(payload);
      item.payload_bytes = payload ? payload.length : null;
      item.payload_sha256 = payload ? sha256(payload) : null;
    }
    out.push(item);
  }
  process.stdout.write(JSON.stringify({ records: out }) + '\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error && error.stack || error) }) + '\n');
}
