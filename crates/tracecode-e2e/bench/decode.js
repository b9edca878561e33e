// Decode time per 1280×720 camera frame in the browser: tracecode's scan worker (the live
// scanner the app uses, within its per-frame budget) against the npm package zxing-wasm, on
// the same frames, in the same page. Frames are photographs of ../shared/qr-corpus scaled into
// a 1280×720 frame, as a phone camera delivers them. The result goes to `window.benchResult`.
//
// The live scanner spreads its heavier passes over consecutive frames (a camera sends 30 a
// second of the same scene), so each photograph is shown to it as FRAMES_PER_PHOTO frames in
// a row: it counts as read on the first frame, and within those frames. zxing-wasm keeps no
// state between frames, so each photograph is one frame to it, decoded PASSES times.
"use strict";

const WIDTH = 1280;
const HEIGHT = 720;
const PASSES = 2;
const FRAMES_PER_PHOTO = 5;

async function frameOf(file) {
  const bitmap = await createImageBitmap(await (await fetch(file)).blob());
  const canvas = new OffscreenCanvas(WIDTH, HEIGHT);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.fillStyle = "#000";
  context.fillRect(0, 0, WIDTH, HEIGHT);
  const scale = Math.min(WIDTH / bitmap.width, HEIGHT / bitmap.height);
  const w = Math.round(bitmap.width * scale);
  const h = Math.round(bitmap.height * scale);
  context.drawImage(bitmap, (WIDTH - w) >> 1, (HEIGHT - h) >> 1, w, h);
  return context.getImageData(0, 0, WIDTH, HEIGHT);
}

function startWorker() {
  return new Promise((resolve, reject) => {
    const worker = new Worker("/scan-worker_loader.js");
    worker.onerror = (e) => reject(new Error("scan worker: " + e.message));
    // Its first message says it is ready.
    worker.onmessage = () => resolve(worker);
  });
}

function scanInWorker(worker, frame) {
  return new Promise((resolve) => {
    worker.onmessage = (e) => resolve(e.data);
    const pixels = new Uint8ClampedArray(frame.data);
    worker.postMessage({ width: WIDTH, height: HEIGHT, pixels, thorough: false }, [pixels.buffer]);
  });
}

async function run() {
  const samples = await (await fetch("/frames/list.json")).json();
  const frames = [];
  for (const sample of samples) frames.push(await frameOf(sample.file));

  const ours = { ms: [], decoded: 0, decodedWithin: 0 };
  const worker = await startWorker();
  for (let i = 0; i < frames.length; i++) {
    let read = false;
    for (let shown = 0; shown < FRAMES_PER_PHOTO; shown++) {
      const answer = await scanInWorker(worker, frames[i]);
      ours.ms.push(answer.ms);
      if (answer.texts.some((t) => samples[i].expected.includes(t))) {
        if (shown === 0) ours.decoded++;
        read = true;
      }
    }
    if (read) ours.decodedWithin++;
  }
  worker.terminate();

  ZXingWASM.prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) => (path.endsWith(".wasm") ? "/zxing/" + path : prefix + path),
    },
    fireImmediately: true,
  });
  const zxing = { ms: [], decoded: 0 };
  const options = { formats: ["QRCode"] };
  await ZXingWASM.readBarcodes(frames[0], options); // instantiate before timing
  for (let pass = 0; pass < PASSES; pass++) {
    for (let i = 0; i < frames.length; i++) {
      const started = performance.now();
      const results = await ZXingWASM.readBarcodes(frames[i], options);
      zxing.ms.push(performance.now() - started);
      if (pass === 0 && results.some((r) => r.isValid && samples[i].expected.includes(r.text))) zxing.decoded++;
    }
  }
  return { frames: frames.length, framesPerPhoto: FRAMES_PER_PHOTO, ours, zxing };
}

run().then(
  (result) => {
    window.benchResult = result;
    document.getElementById("status").textContent = "done";
  },
  (error) => {
    window.benchResult = { error: String(error && error.stack || error) };
    document.getElementById("status").textContent = "failed: " + error;
  },
);
