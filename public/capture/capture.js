// The cameo enrollment capture page: sign in, start a session, follow the challenge while the
// camera records, upload, and show the verdict. Plain browser JavaScript, no build step.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const state = { token: null, handle: null, stream: null, session: null };

  const DIRECTION_WORDS = {
    left: 'Turn your head to your LEFT',
    right: 'Turn your head to your RIGHT',
    up: 'Tilt your head UP',
    down: 'Tilt your head DOWN',
  };

  function show(id, on) {
    $(id).hidden = !on;
  }

  function fail(message) {
    const e = $('error');
    e.textContent = message;
    e.hidden = false;
  }

  async function api(method, path, body, headers) {
    const h = Object.assign({}, headers || {});
    if (state.token) h.authorization = 'Bearer ' + state.token;
    let payload = body;
    if (body && !(body instanceof Blob)) {
      h['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(path, { method, headers: h, body: payload });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const msg = json && json.error ? json.error.message : 'The service answered ' + res.status + '.';
      const err = new Error(msg);
      err.status = res.status;
      err.code = json && json.error ? json.error.code : null;
      throw err;
    }
    return json;
  }

  async function signedIn() {
    const me = await api('GET', '/v1/accounts/me');
    state.handle = me.handle;
    if (!me.roles.includes('cameo_owner')) {
      throw new Error(
        'This account is not a cameo owner; sign up with the cameo_owner role to record a cameo.',
      );
    }
    $('signed-in-as').textContent = 'Signed in as @' + me.handle;
    show('signin', false);
    show('capture', true);
    await openCamera();
  }

  async function openCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error(
        'This browser cannot use the camera here. Open the page over https in a current browser.',
      );
    }
    if (state.stream) return;
    state.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
      audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: true },
    });
    $('preview').srcObject = state.stream;
  }

  function pickMimeType() {
    const options = [
      'video/webm;codecs=vp8,opus',
      'video/webm;codecs=vp9,opus',
      'video/webm',
      'video/mp4;codecs=avc1,mp4a',
      'video/mp4',
    ];
    if (typeof MediaRecorder === 'undefined') return null;
    for (const t of options) if (MediaRecorder.isTypeSupported(t)) return t;
    return '';
  }

  /** The instructions in time order: each turn in its window, the code in its window, a blink early on. */
  function timeline(ch) {
    const items = [];
    for (const t of ch.turns)
      items.push({
        start: t.window.startSec,
        end: t.window.endSec,
        text: DIRECTION_WORDS[t.direction],
        kind: 'turn',
      });
    items.push({
      start: ch.code.window.startSec,
      end: ch.code.window.endSec,
      text: ch.code.digits.split('').join(' '),
      kind: 'code',
    });
    items.sort((a, b) => a.start - b.start);
    return items;
  }

  function renderSteps(items, nowSec) {
    const ol = $('steps');
    ol.textContent = '';
    ol.appendChild(stepItem('Look at the camera and blink once', nowSec < 0.001 ? '' : 'done'));
    for (const it of items) {
      const cls = nowSec >= it.end ? 'done' : nowSec >= it.start ? 'now' : '';
      ol.appendChild(stepItem(it.kind === 'code' ? 'Read the code aloud: ' + it.text : it.text, cls));
    }
  }

  function stepItem(text, cls) {
    const li = document.createElement('li');
    li.textContent = text;
    if (cls) li.className = cls;
    return li;
  }

  function promptFor(items, t) {
    const cur = items.find((it) => t >= it.start && t < it.end);
    if (cur) return { text: cur.kind === 'code' ? cur.text : cur.text + '…', code: cur.kind === 'code' };
    if (t < (items[0] ? items[0].start : 0)) return { text: 'Look at the camera and blink', code: false };
    return { text: 'Look at the camera', code: false };
  }

  async function record() {
    $('error').hidden = true;
    $('start-button').disabled = true;
    try {
      await openCamera();
      state.session = await api('POST', '/v1/cameos/enrollments');
    } catch (e) {
      $('start-button').disabled = false;
      return fail(e.message);
    }
    const ch = state.session.challenge;
    const items = timeline(ch);
    renderSteps(items, 0);
    const mimeType = pickMimeType();
    if (mimeType === null) return fail('This browser cannot record video (no MediaRecorder).');
    const rec = new MediaRecorder(
      state.stream,
      mimeType ? { mimeType, videoBitsPerSecond: 2500000 } : undefined,
    );
    const chunks = [];
    rec.ondataavailable = (ev) => {
      if (ev.data && ev.data.size) chunks.push(ev.data);
    };
    const stopped = new Promise((resolve) => (rec.onstop = resolve));
    rec.start(250);
    const started = performance.now();
    const total = ch.durationSec;
    await new Promise((resolve) => {
      function tick() {
        const t = (performance.now() - started) / 1000;
        const p = promptFor(items, t);
        const el = $('prompt');
        el.textContent = p.text;
        el.className = p.code ? 'prompt code' : 'prompt';
        $('progress-bar').style.width = Math.min(100, (t / total) * 100).toFixed(1) + '%';
        renderSteps(items, t);
        if (t >= total + 0.2) return resolve();
        requestAnimationFrame(tick);
      }
      // rAF stops in background tabs; a timer keeps the recording length right regardless.
      setTimeout(resolve, (total + 0.4) * 1000);
      tick();
    });
    if (rec.state !== 'inactive') rec.stop();
    await stopped;
    $('prompt').textContent = 'Done. Uploading…';
    const type = (rec.mimeType || mimeType || 'video/webm').split(';')[0];
    await upload(new Blob(chunks, { type }));
  }

  async function upload(blob) {
    show('result', true);
    $('status').textContent = 'Uploading ' + (blob.size / 1048576).toFixed(1) + ' MB…';
    try {
      await api('POST', '/v1/cameos/enrollments/' + state.session.id + '/recording', blob, {
        'content-type': blob.type,
      });
    } catch (e) {
      return verdict({ status: 'rejected', reason: e.message, checks: [] });
    }
    $('status').textContent = 'Checking your recording… this takes a few seconds.';
    for (let i = 0; i < 240; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      let s;
      try {
        s = await api('GET', '/v1/cameos/enrollments/' + state.session.id);
      } catch {
        continue; // a dropped poll on a phone network: ask again
      }
      if (s.status !== 'pending') return verdict(s);
    }
    verdict({
      status: 'rejected',
      reason: 'The check is taking too long; please try again later.',
      checks: [],
    });
  }

  function verdict(s) {
    $('prompt').textContent = s.status === 'accepted' ? 'Accepted' : 'Not accepted';
    $('prompt').className = 'prompt';
    const v = $('verdict');
    v.hidden = false;
    v.className = s.status;
    v.setAttribute('data-status', s.status);
    if (s.status === 'accepted') {
      v.textContent = 'Accepted: your cameo is ready. Nobody can use it until you choose who may.';
      $('status').textContent = 'Done.';
    } else {
      v.textContent = 'Not accepted: ' + (s.reason || 'the recording did not pass the checks.');
      $('status').textContent = 'Please try again.';
      $('again-button').hidden = false;
    }
    const ul = $('checks');
    ul.textContent = '';
    for (const c of s.checks || []) {
      const li = document.createElement('li');
      li.className = c.passed === true ? 'pass' : c.passed === false && c.decisive ? 'fail' : 'info';
      li.textContent = c.message;
      ul.appendChild(li);
    }
    $('start-button').disabled = false;
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('signin-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      $('signin-error').hidden = true;
      try {
        const t = await api('POST', '/v1/auth/token', {
          handle: $('handle').value.trim(),
          password: $('password').value,
        });
        state.token = t.accessToken;
        await signedIn();
      } catch (e) {
        state.token = null;
        $('signin-error').textContent = e.message;
        $('signin-error').hidden = false;
      }
    });
    $('token-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      state.token = $('token').value.trim();
      try {
        await signedIn();
      } catch (e) {
        $('signin-error').textContent = e.message;
        $('signin-error').hidden = false;
      }
    });
    $('start-button').addEventListener('click', () => {
      show('result', false);
      $('verdict').hidden = true;
      $('checks').textContent = '';
      $('again-button').hidden = true;
      record().catch((e) => fail(e.message));
    });
    $('again-button').addEventListener('click', () => {
      show('result', false);
      $('again-button').hidden = true;
    });
    // A mobile app can open /capture#token=... to skip the sign-in form; the fragment never reaches the server.
    const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
    if (m) {
      state.token = decodeURIComponent(m[1]);
      history.replaceState(null, '', location.pathname);
      signedIn().catch((e) => {
        $('signin-error').textContent = e.message;
        $('signin-error').hidden = false;
      });
    }
  });
})();
