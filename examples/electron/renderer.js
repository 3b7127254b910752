'use strict';
/* renderer.js: the window. It only talks to window.deskauth (preload.js). */

const $ = (id) => document.getElementById(id);

function say(text) {
  $('message').textContent = text || '';
}

function render(state) {
  if (state.message !== undefined) say(state.message);
  if (state.signedIn === true && state.user) {
    $('signed-out').hidden = true;
    $('signed-in').hidden = false;
    $('u-name').textContent = state.user.fullName || '';
    $('u-email').textContent = state.user.email || '';
    $('u-role').textContent = state.user.role || '';
    $('u-company').textContent = state.user.company || '';
    $('u-updated').textContent = state.user.updatedAt || '';
  } else if (state.signedIn === false) {
    $('signed-out').hidden = false;
    $('signed-in').hidden = true;
    $('retry').hidden = !state.offline;
  }
}

async function run(promise, pending) {
  if (pending) say(pending);
  const answer = await promise;
  if (answer && !answer.ok) say(answer.message);
  return answer;
}

window.deskauth.onState(render);

$('sign-in').addEventListener('click', () =>
  run(window.deskauth.signIn('scheme'), 'Continue in your browser…'));
$('sign-in-loopback').addEventListener('click', () =>
  run(window.deskauth.signIn('loopback'), 'Continue in your browser…'));
$('retry').addEventListener('click', () => run(window.deskauth.profile(), 'Connecting…'));
$('reload').addEventListener('click', () => run(window.deskauth.profile()));
$('sign-out').addEventListener('click', () => run(window.deskauth.signOut()));
$('open-file').addEventListener('click', () => run(window.deskauth.openConnectionFile()));

/* Drag and drop of token.json: read here, checked and redeemed in main. */
const drop = $('drop');
for (const type of ['dragenter', 'dragover']) {
  document.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add('over'); });
}
document.addEventListener('dragleave', () => drop.classList.remove('over'));
document.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer.files[0];
  if (!file) return;
  if (file.size > 64 * 1024) {
    say('This is not a connection file.');
    return;
  }
  run(window.deskauth.redeemConnectionFile(await file.text()), 'Connecting…');
});
