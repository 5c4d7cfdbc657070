// The logits ONNX Runtime computes for an ONNX model on a raw float32 input (N x 3 x C x C,
// little-endian): `node bench/ort_logits.js MODEL.onnx INPUT.f32 N C`. Prints a JSON array. For
// tools/check_torchvision_interop.py (a by-hand check, not CI).
const ort = require('onnxruntime-node');
const fs = require('fs');

async function main() {
  const [model, input, n, c] = process.argv.slice(2);
  const sess = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const buf = fs.readFileSync(input);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const x = new ort.Tensor('float32', data, [Number(n), 3, Number(c), Number(c)]);
  const out = await sess.run({ [sess.inputNames[0]]: x });
  console.log(JSON.stringify(Array.from(out[sess.outputNames[0]].data)));
}
main().catch((e) => { console.error(e.message); process.exit(1); });
