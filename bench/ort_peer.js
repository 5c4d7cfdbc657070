// One ONNX Runtime measurement (npm onnxruntime-node, CPU execution provider, graph
// optimisation "all", 2 intra-op threads): images/s of inference on random data, the median of
// --reps timed runs after --warmup. Prints one JSON line. The model is bench/onnx/<arch>.onnx
// (export_onnx.py) or --model FILE (an int8 QDQ graph: `alexnet convert W8.safetensors W8.onnx`);
// --optimized FILE writes the graph ONNX Runtime runs (its fused QLinearConv, QGemm ...). Needs
// `npm install` in bench/ (with ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip).
const ort = require('onnxruntime-node');
const path = require('path');

const arg = (name, def) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
};
const arch = arg('arch', 'alexnet'), batch = Number(arg('batch', 64)), threads = Number(arg('threads', 2));
const reps = Number(arg('reps', 5)), warmup = Number(arg('warmup', 2));
const model = arg('model', path.join(__dirname, 'onnx', `${arch}.onnx`)), optimized = arg('optimized', undefined);
const crop = { 'alexnet': 227, 'alexnet-lrnop': 227, 'alexnet-torchvision': 224, 'alexnet-mini': 28 }[arch];

async function main() {
  const sess = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential',
    ...(optimized ? { optimizedModelFilePath: optimized } : {}),
  });
  const n = batch * 3 * crop * crop, data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = s / 4294967296 - 0.5; }
  const x = new ort.Tensor('float32', data, [batch, 3, crop, crop]);
  for (let i = 0; i < warmup; i++) await sess.run({ input: x });
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await sess.run({ input: x });
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  t.sort((a, b) => a - b);
  console.log(JSON.stringify({ arch, mode: 'infer', batch, threads, images_per_s: batch / t[Math.floor(t.length / 2)],
                               peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
}
main().catch((e) => { console.error(e.message); process.exit(1); });
