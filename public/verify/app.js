'use strict';
(function () {
  var $ = function (id) {
    return document.getElementById(id);
  };
  var form = $('form'),
    input = $('file'),
    drop = $('drop'),
    go = $('go');
  var progress = $('progress'),
    uploadBar = $('upload-bar'),
    uploadPct = $('upload-pct'),
    analysisBar = $('analysis-bar'),
    analysisState = $('analysis-state');
  var statusEl = $('status'),
    errorEl = $('error'),
    result = $('result');
  var chosen = null,
    timer = null;

  var VERDICT_TEXT = {
    generated_here: 'Generated here',
    ai_generated_elsewhere: 'AI-generated elsewhere',
    no_evidence: 'No evidence it was generated here',
    tampered: 'Tampered',
  };
  var MANIFEST_TEXT = {
    valid_trusted: 'valid, from a trusted signer',
    valid_untrusted: 'valid, but the signer is not on our trust list',
    tampered: 'tampered: the file changed after it was signed',
    invalid: 'invalid: the credentials are damaged',
    absent: 'none',
  };

  function setStatus(t) {
    statusEl.textContent = t;
  }
  function showError(t) {
    errorEl.textContent = t;
    errorEl.hidden = false;
  }
  function clearError() {
    errorEl.hidden = true;
    errorEl.textContent = '';
  }
  function human(n) {
    return n > 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.ceil(n / 1024) + ' KB';
  }
  function secs(s) {
    return s == null ? '' : Math.round(s * 10) / 10 + ' s';
  }

  function choose(file) {
    clearError();
    chosen = file || null;
    go.disabled = !chosen;
    if (chosen) setStatus('Ready to check ' + chosen.name + ' (' + human(chosen.size) + ').');
  }

  input.addEventListener('change', function () {
    choose(input.files && input.files[0]);
  });
  ['dragenter', 'dragover'].forEach(function (ev) {
    drop.addEventListener(ev, function (e) {
      e.preventDefault();
      drop.classList.add('over');
    });
  });
  ['dragleave', 'drop'].forEach(function (ev) {
    drop.addEventListener(ev, function (e) {
      e.preventDefault();
      drop.classList.remove('over');
    });
  });
  drop.addEventListener('drop', function (e) {
    var f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) {
      choose(f);
      go.focus();
    }
  });

  function manifestLine(m) {
    if (!m.supported) return 'This file type cannot carry Content Credentials here.';
    if (!m.present) return 'None found (they may have been removed).';
    var parts = [MANIFEST_TEXT[m.verdict] || m.verdict];
    if (m.signer)
      parts.push('signed by ' + m.signer.subject + (m.signedByThisService ? ' (this service)' : ''));
    if (m.signedAt) parts.push('on ' + new Date(m.signedAt).toLocaleString());
    var acts = (m.actions || []).map(function (a) {
      return (
        a.action.replace(/^c2pa\./, '') +
        (a.digitalSourceType ? ' (' + a.digitalSourceType.split('/').pop() + ')' : '')
      );
    });
    if (acts.length) parts.push('says: ' + acts.join(', '));
    if (m.failureCodes && m.failureCodes.length)
      parts.push('problems: ' + m.failureCodes.slice(0, 3).join(', '));
    return parts.join('; ') + '.';
  }

  function watermarkLine(w) {
    if (!w.checked) return 'Could not be checked: ' + (w.reason || 'unknown reason') + '.';
    if (!w.detected) return 'Not found' + (w.reason ? ' (' + w.reason + ')' : '') + '.';
    var parts = ['Found'];
    if (w.video && w.video.segments.length) {
      var seen = w.video.segments
        .filter(function (s) {
          return s.detected;
        })
        .map(function (s) {
          return secs(s.startSec) + '–' + secs(s.endSec);
        });
      parts.push('in the picture at ' + (seen.join(', ') || 'no single segment'));
    } else if (w.video && w.video.detected) parts.push('in the image');
    if (w.audio) parts.push(w.audio.detected ? 'in the sound' : 'not in the sound');
    else if (!w.note) parts.push('no sound to check');
    if (w.decidedBy === 'ledger') parts.push('its weak mark decoded to an identifier this service issued');
    if (w.pValue != null) parts.push('chance of a false find ' + Number(w.pValue).toExponential(1));
    return parts.join('; ') + '.' + (w.note ? ' ' + w.note : '');
  }

  function ledgerLine(l) {
    if (!l.found) return 'No matching entry.';
    var by =
      {
        content_hash: 'exact file',
        watermark: 'watermark',
        manifest: 'Content Credentials',
        fingerprint: 'fingerprint',
      }[l.matchedBy] || l.matchedBy;
    return (
      'Generation ' +
      l.generationId +
      ', made ' +
      new Date(l.createdAt).toLocaleString() +
      ', matched by ' +
      by +
      '.' +
      (l.takenDown
        ? ' Taken down ' +
          new Date(l.takenDownAt).toLocaleString() +
          (l.takedownReason ? ' (' + l.takedownReason + ')' : '') +
          '.'
        : '')
    );
  }

  function fingerprintLine(f) {
    if (!f.checked) return f.note || 'Not computed.';
    if (!f.matched) return 'No similar clip in the ledger.';
    return (
      (f.strong ? 'Strong match' : 'Weak match (not counted)') +
      ': ' +
      f.matchedFrames +
      ' of ' +
      f.queryFrames +
      ' sampled frames' +
      (f.queryAudio ? ', ' + f.matchedAudio + ' of ' + f.queryAudio + ' half-seconds of sound' : '') +
      '.'
    );
  }

  function render(r) {
    var v = $('verdict');
    v.textContent = VERDICT_TEXT[r.verdict] || r.verdict;
    v.setAttribute('data-verdict', r.verdict);
    $('confidence').textContent =
      'Confidence ' +
      Math.round(r.confidence * 100) +
      '% · analysed in ' +
      (r.analysisMs / 1000).toFixed(1) +
      ' s';
    $('explanation').textContent = r.explanation;
    $('ev-manifest').textContent = manifestLine(r.evidence.manifest);
    $('ev-watermark').textContent = watermarkLine(r.evidence.watermark);
    $('ev-ledger').textContent = ledgerLine(r.evidence.ledger);
    $('ev-fingerprint').textContent = fingerprintLine(r.evidence.fingerprint);
    var f = r.file;
    $('ev-file').textContent =
      (f.name || 'upload') +
      ': ' +
      f.kind +
      ' (' +
      f.mimeType +
      ')' +
      (f.width ? ', ' + f.width + '×' + f.height : '') +
      (f.durationSec ? ', ' + secs(f.durationSec) : '') +
      ', ' +
      human(f.sizeBytes) +
      '.';
    var thumb = $('thumb');
    if (r.thumbnail) {
      thumb.src = r.thumbnail;
      thumb.alt = 'A frame of the uploaded file';
      thumb.hidden = false;
    } else {
      thumb.hidden = true;
      thumb.removeAttribute('src');
    }
    var rec = $('recovered');
    if (r.recoveredManifest) {
      $('recovered-json').textContent = JSON.stringify(r.recoveredManifest.manifest, null, 2);
      rec.hidden = false;
    } else rec.hidden = true;
    result.hidden = false;
    result.focus();
  }

  function finish() {
    if (timer) {
      clearInterval(timer);
      timer = null;
    }
    go.disabled = !chosen;
    input.disabled = false;
  }

  function errorSentence(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.error && body.error.message) return body.error.message;
    } catch (e) {
      /* not JSON */
    }
    if (xhr.status === 0) return 'The connection was lost before the check finished. Please try again.';
    return 'The check failed (HTTP ' + xhr.status + '). Please try again.';
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (!chosen) {
      showError('Choose a file first.');
      return;
    }
    clearError();
    result.hidden = true;
    progress.hidden = false;
    uploadBar.value = 0;
    uploadPct.textContent = '0%';
    analysisBar.value = 0;
    analysisBar.removeAttribute('value');
    analysisState.textContent = 'waiting';
    go.disabled = true;
    input.disabled = true;
    setStatus('Uploading ' + chosen.name + '…');
    var data = new FormData();
    data.append('file', chosen, chosen.name);
    var xhr = new XMLHttpRequest();
    // The answer streams NDJSON lines: analysis progress as it happens, then the result.
    xhr.open('POST', '/v1/verify?progress=ndjson' + ($('whole').checked ? '&scope=whole' : ''));
    xhr.responseType = 'text';
    var seen = 0;
    var last = null;
    var STAGE_TEXT = { analysing: 'analysing', ledger: 'looking up the ledger', done: 'done' };
    function readLines() {
      var text = xhr.responseText || '';
      var end = text.lastIndexOf('\n');
      if (end < seen) return;
      text
        .slice(seen, end)
        .split('\n')
        .forEach(function (l) {
          if (!l) return;
          var m;
          try {
            m = JSON.parse(l);
          } catch (err) {
            return;
          }
          if (m.type === 'progress') {
            if (timer) {
              clearInterval(timer);
              timer = null;
            }
            var pct = m.stage === 'analysing' ? Math.round(m.fraction * 90) : m.stage === 'ledger' ? 95 : 100;
            analysisBar.setAttribute('value', String(pct));
            analysisState.textContent = (STAGE_TEXT[m.stage] || m.stage) + ' ' + pct + '%';
          } else last = m;
        });
      seen = end + 1;
    }
    xhr.addEventListener('progress', readLines);
    xhr.upload.addEventListener('progress', function (ev) {
      if (!ev.lengthComputable) return;
      var pct = Math.round((ev.loaded / ev.total) * 100);
      uploadBar.value = pct;
      uploadPct.textContent = pct + '%';
    });
    xhr.upload.addEventListener('load', function () {
      uploadBar.value = 100;
      uploadPct.textContent = '100%';
      var started = Date.now();
      analysisState.textContent = 'analysing';
      setStatus('Uploaded. Checking Content Credentials, watermark and ledger…');
      timer = setInterval(function () {
        analysisState.textContent = 'analysing ' + Math.round((Date.now() - started) / 1000) + ' s';
      }, 1000);
    });
    xhr.addEventListener('load', function () {
      finish();
      if (xhr.status === 200) readLines();
      if (xhr.status === 200 && last && last.type === 'error') {
        analysisState.textContent = 'stopped';
        setStatus('');
        showError(last.error.message || 'The check failed. Please try again.');
      } else if (xhr.status === 200) {
        var r = last && last.type === 'result' ? last.report : null;
        if (!r) {
          showError('The answer could not be read. Please try again.');
          return;
        }
        analysisBar.setAttribute('value', '100');
        analysisState.textContent = 'done';
        setStatus('Done: ' + (VERDICT_TEXT[r.verdict] || r.verdict) + '.');
        render(r);
      } else {
        analysisState.textContent = 'stopped';
        setStatus('');
        showError(errorSentence(xhr));
      }
    });
    xhr.addEventListener('error', function () {
      finish();
      analysisState.textContent = 'stopped';
      showError(errorSentence(xhr));
    });
    xhr.send(data);
  });

  $('again').addEventListener('click', function () {
    result.hidden = true;
    progress.hidden = true;
    input.value = '';
    choose(null);
    setStatus('');
    input.focus();
  });
})();
