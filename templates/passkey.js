// passkey.js: passkeys on the sign-in and profile pages (docs/passkeys.md).
// The pages carry data-* attributes with the handler's URLs; this script
// only talks JSON to them, with the browser's cookies, from this origin.
(function () {
  'use strict';
  var b64 = {
    toBuf: function (s) {
      s = s.replace(/-/g, '+').replace(/_/g, '/');
      while (s.length % 4) s += '=';
      var bin = atob(s), out = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
      return out.buffer;
    },
    fromBuf: function (buf) {
      var bytes = new Uint8Array(buf), bin = '';
      for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
      return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    }
  };

  function post(url, body, method) {
    return fetch(url, {
      method: method || 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        return { status: res.status, json: json };
      });
    });
  }

  function show(el, text) {
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  }

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials);
  }

  // --- the sign-in page ------------------------------------------------
  function assertionJson(cred) {
    var r = cred.response;
    return {
      id: cred.id, rawId: b64.fromBuf(cred.rawId), type: cred.type,
      response: {
        clientDataJSON: b64.fromBuf(r.clientDataJSON),
        authenticatorData: b64.fromBuf(r.authenticatorData),
        signature: b64.fromBuf(r.signature),
        userHandle: r.userHandle ? b64.fromBuf(r.userHandle) : null
      }
    };
  }

  function signIn(box, mediation, abort) {
    var error = box.querySelector('[data-passkey-error]');
    var chosen = false;                 // the person picked a passkey
    return post(box.getAttribute('data-options'), {}).then(function (o) {
      if (o.status !== 200) throw new Error(o.json.message || 'The sign-in could not start.');
      var opts = {
        publicKey: {
          challenge: b64.toBuf(o.json.challenge), rpId: o.json.rpId,
          timeout: o.json.timeout, userVerification: o.json.userVerification,
          allowCredentials: []
        }
      };
      if (mediation) opts.mediation = mediation;
      if (abort) opts.signal = abort.signal;
      return navigator.credentials.get(opts);
    }).then(function (cred) {
      if (!cred) throw new Error('No passkey was chosen.');
      chosen = true;
      return post(box.getAttribute('data-login'), assertionJson(cred));
    }).then(function (res) {
      if (res.status !== 200) throw new Error(res.json.message || 'The passkey was not accepted.');
      window.location.assign(res.json.redirect);
    }).catch(function (e) {
      if (e && e.name === 'AbortError') return;
      // The autofill offer starts by itself: nothing the person did failed
      // until they pick a passkey, so nothing is shown (the button still
      // reports its own errors).
      if (mediation === 'conditional' && !chosen) return;
      show(error, e && e.name === 'NotAllowedError'
        ? 'The passkey sign-in was cancelled or timed out. Try again.'
        : (e && e.message) || 'The passkey sign-in failed.');
    });
  }

  function setUpLogin(box) {
    var button = box.querySelector('[data-passkey-signin]');
    var conditional = null;
    if (!supported()) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      if (conditional) conditional.abort();
      conditional = null;
      signIn(box);
    });
    // Conditional mediation: passkeys offered in the email field's autofill.
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (yes) {
        if (!yes) return;
        conditional = new AbortController();
        signIn(box, 'conditional', conditional);
      });
    }
  }

  // --- the profile page --------------------------------------------------
  function when(t) {
    return t ? new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : 'never';
  }

  // One passkey: its name in a field with "Rename" (saves the field), the
  // dates, and "Remove", which asks again on the button itself.
  function row(mgr, pk) {
    var li = document.createElement('li'), name = document.createElement('input');
    var facts = document.createElement('span'), rename = document.createElement('button');
    var remove = document.createElement('button'), url = mgr.getAttribute('data-base') + '/' + pk.id;
    li.className = 'passkey';
    li.setAttribute('data-passkey-id', pk.id);
    name.type = 'text';
    name.value = pk.name;
    name.maxLength = 100;
    name.setAttribute('aria-label', 'Name of the passkey ' + pk.name);
    facts.className = 'hint';
    facts.textContent = ' Added ' + when(pk.createdAt) + ' \u00b7 last used ' + when(pk.lastUsedAt) + ' ';
    rename.type = remove.type = 'button';
    rename.className = remove.className = 'small';
    rename.textContent = 'Rename';
    remove.textContent = 'Remove';
    remove.setAttribute('aria-label', 'Remove ' + pk.name);
    rename.addEventListener('click', function () {
      act(mgr, post(url, { name: name.value }, 'PATCH'));
    });
    remove.addEventListener('click', function () {
      if (remove.getAttribute('data-armed')) {
        act(mgr, post(url, undefined, 'DELETE'));
        return;
      }
      remove.setAttribute('data-armed', '1');
      remove.textContent = 'Remove for good';
    });
    li.appendChild(name);
    li.appendChild(rename);
    li.appendChild(facts);
    li.appendChild(remove);
    return li;
  }

  function list(mgr) {
    var ul = mgr.querySelector('[data-passkey-list]'), empty = mgr.querySelector('[data-passkey-empty]');
    return post(mgr.getAttribute('data-base'), undefined, 'GET').then(function (res) {
      var keys = (res.json.data && res.json.data.passkeys) || [];
      ul.textContent = '';
      keys.forEach(function (pk) { ul.appendChild(row(mgr, pk)); });
      empty.hidden = keys.length > 0;
      each('[data-passkey-confirm]', function (b) { b.hidden = !keys.length; });
    });
  }

  function act(mgr, promise) {
    var error = mgr.querySelector('[data-passkey-error]');
    show(error, '');
    return promise.then(function (res) {
      if (res.status >= 300) throw new Error(res.json.message || 'That did not work.');
      return list(mgr);
    }).catch(function (e) {
      show(error, e && e.name === 'NotAllowedError' ? 'Adding the passkey was cancelled or timed out.'
        : e && e.name === 'InvalidStateError' ? 'This authenticator already holds a passkey for this account.'
        : (e && e.message) || 'That did not work.');
    });
  }

  function add(mgr) {
    var base = mgr.getAttribute('data-base'), nameInput = mgr.querySelector('[data-passkey-name]');
    return post(base + '/register/options', {}).then(function (o) {
      if (o.status !== 200) throw new Error(o.json.message || 'Adding a passkey could not start.');
      var j = o.json;
      return navigator.credentials.create({
        publicKey: {
          challenge: b64.toBuf(j.challenge), rp: j.rp,
          user: { id: b64.toBuf(j.user.id), name: j.user.name, displayName: j.user.displayName },
          pubKeyCredParams: j.pubKeyCredParams, timeout: j.timeout,
          authenticatorSelection: j.authenticatorSelection, attestation: j.attestation,
          excludeCredentials: descriptors(j.excludeCredentials)
        }
      });
    }).then(function (cred) {
      return post(base + '/register', {
        id: cred.id, rawId: b64.fromBuf(cred.rawId), type: cred.type,
        name: nameInput.value || undefined,
        response: {
          clientDataJSON: b64.fromBuf(cred.response.clientDataJSON),
          attestationObject: b64.fromBuf(cred.response.attestationObject)
        }
      });
    }).then(function (res) {
      if (res.status === 201) nameInput.value = '';
      return res;
    });
  }

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  function descriptors(list) {
    return list.map(function (c) { return { type: c.type, id: b64.toBuf(c.id) }; });
  }

  // An account form (change email, delete) sent with a passkey instead of
  // the password: the form's own checks first, then the authenticator;
  // the server's confirmation goes in the form, which is then sent.
  function confirmForm(mgr, form) {
    var base = mgr.getAttribute('data-base'), error = form.querySelector('[data-passkey-confirm-error]');
    var password = form.querySelector('[name=password]');
    show(error, '');
    password.required = false;
    if (!form.reportValidity()) {
      password.required = true;
      return;
    }
    post(base + '/confirm/options', {}).then(function (o) {
      if (o.status !== 200) throw new Error(o.json.message || 'The confirmation could not start.');
      return navigator.credentials.get({
        publicKey: {
          challenge: b64.toBuf(o.json.challenge), rpId: o.json.rpId, timeout: o.json.timeout,
          userVerification: o.json.userVerification, allowCredentials: descriptors(o.json.allowCredentials)
        }
      });
    }).then(function (cred) {
      return post(base + '/confirm', assertionJson(cred));
    }).then(function (res) {
      if (res.status !== 200) throw new Error(res.json.message || 'The passkey was not accepted.');
      form.querySelector('[name=confirmation]').value = res.json.confirmation;
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }).catch(function (e) {
      password.required = true;
      show(error, e && e.name === 'NotAllowedError' ? 'The passkey confirmation was cancelled or timed out. Try again.'
        : (e && e.message) || 'The passkey confirmation failed.');
    });
  }

  function setUpProfile(mgr) {
    var button = mgr.querySelector('[data-passkey-add]');
    if (!supported()) {
      show(mgr.querySelector('[data-passkey-error]'), 'This browser cannot use passkeys.');
      return;
    }
    button.hidden = false;
    button.addEventListener('click', function () { act(mgr, add(mgr)); });
    // The account forms come after this script: listen on the document.
    document.addEventListener('click', function (e) {
      var b = e.target.closest && e.target.closest('[data-passkey-confirm]');
      if (b) confirmForm(mgr, b.form);
    });
    list(mgr);
  }

  var login = document.querySelector('[data-passkey-login]');
  var mgr = document.querySelector('[data-passkey-manager]');
  if (login) setUpLogin(login);
  if (mgr) setUpProfile(mgr);
})();
