'use strict';
/*
 * Electron main process of the mod_deskauth example desktop app.
 *
 * An EXAMPLE. Electron cannot run in the test suite (no display), so
 * the suite runs the sign-in part, deskauth-client.js, from Node instead
 * (t/quickstart/electron.t). See README.md and docs/quickstart-electron.md.
 *
 * What it shows:
 *   - the custom URI scheme "com.example.desk:" registered with
 *     app.setAsDefaultProtocolClient on Windows, macOS and Linux, with the
 *     single-instance lock so that the redirect reaches the running app:
 *       Windows / Linux: the OS starts a second instance with the URL in
 *       argv -> 'second-instance' in the first one;
 *       macOS: 'open-url';
 *   - sign-in in the system browser (shell.openExternal), never in a
 *     BrowserWindow (RFC 8252 §8.12), with PKCE S256 and state;
 *   - the loopback alternative: http://127.0.0.1:<any port>/callback;
 *   - the refresh token stored encrypted with safeStorage under
 *     app.getPath('userData'), replaced at every refresh (rotation);
 *   - GET /api/auth/profile with the Bearer access token;
 *   - a token.json connection file opened with the app, dropped on the
 *     window or chosen in a dialog, redeemed with
 *     grant_type=urn:deskauth:connection-file.
 *
 * Server side (Apache):
 *   DeskAuthClient com.example.desk com.example.desk:/oauth2redirect \
 *       http://127.0.0.1/callback "name=Example Desk"
 */

const { app, BrowserWindow, dialog, ipcMain, safeStorage, shell } = require('electron');
const fs = require('node:fs');
const path = require('node:path');
const { DeskAuthClient } = require('./deskauth-client');

const CONFIG = {
  // The site running mod_deskauth. https:// in production; the local demo
  // (tools/demo in the module's repository) is http://localhost:8080.
  server: process.env.DESKAUTH_SERVER || 'https://www.example.com',
  clientId: 'com.example.desk',
  // RFC 8252 §7.1: a private-use scheme in reverse-domain form, one slash.
  scheme: 'com.example.desk',
  redirectUri: 'com.example.desk:/oauth2redirect',
  // RFC 8252 §7.3: registered as http://127.0.0.1/callback, any port matches.
  loopbackPath: '/callback',
  connectionFileMaxBytes: 64 * 1024,
};

let mainWindow = null;
let client = null;
let loopback = null;                       // the loopback listener in flight
const queued = [];                         // URLs / files that came before 'ready'

/* ---- refresh-token storage: safeStorage + a file in userData -------------- */

/*
 * The refresh token is the long-lived secret: it is written only encrypted
 * (Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux). When
 * the OS offers no real key store (Linux "basic_text"), it is kept in
 * memory only and the person signs in again at the next start.
 * The access token is never written to disk.
 */
function createTokenStore() {
  const file = path.join(app.getPath('userData'), 'deskauth-refresh-token.bin');
  const useAsync = typeof safeStorage.encryptStringAsync === 'function';
  let memory = null;

  async function canEncrypt() {
    if (process.platform === 'linux' && typeof safeStorage.getSelectedStorageBackend === 'function'
        && safeStorage.getSelectedStorageBackend() === 'basic_text') {
      return false;                        // "encrypted" with a hard-coded password
    }
    return useAsync ? safeStorage.isAsyncEncryptionAvailable() : safeStorage.isEncryptionAvailable();
  }

  async function encrypt(text) {
    return useAsync ? safeStorage.encryptStringAsync(text) : safeStorage.encryptString(text);
  }

  async function decrypt(buf) {
    if (useAsync) {
      const { result, shouldReEncrypt } = await safeStorage.decryptStringAsync(buf);
      if (shouldReEncrypt) {
        await writeFile(result);           // the OS rotated its key
      }
      return result;
    }
    return safeStorage.decryptString(buf);
  }

  async function writeFile(token) {
    const tmp = `${file}.tmp`;
    await fs.promises.writeFile(tmp, await encrypt(token), { mode: 0o600 });
    await fs.promises.rename(tmp, file);   // atomic: never half a token on disk
  }

  return {
    async load() {
      if (memory) return memory;
      if (!(await canEncrypt())) return null;
      try {
        memory = await decrypt(await fs.promises.readFile(file));
      } catch (e) {
        if (e.code !== 'ENOENT') {
          console.warn('deskauth: cannot read the stored session, signing out:', e.message);
          await fs.promises.rm(file, { force: true });
        }
        memory = null;
      }
      return memory;
    },
    async save(token) {
      memory = token;
      if (await canEncrypt()) {
        await writeFile(token);
      } else {
        console.warn('deskauth: no OS key store: the session is kept in memory only');
        await fs.promises.rm(file, { force: true });
      }
    },
    async clear() {
      memory = null;
      await fs.promises.rm(file, { force: true });
    },
  };
}

/* ---- talking to the window ------------------------------------------------- */

function sendState(state) {
  if (mainWindow && !mainWindow.isDestroyed()) {
    mainWindow.webContents.send('deskauth:state', state);
  }
}

function showUser(user) {
  sendState({ signedIn: true, user: publicUser(user) });
}

function showError(err) {
  console.warn('deskauth:', err.message);
  if (err.signedOut) {
    sendState({ signedIn: false, user: null, message: err.message });
  } else {
    sendState({ message: err.message });
  }
}

/* Only what the window needs: never a token. */
function publicUser(u) {
  if (!u) return null;
  return {
    email: u.email,
    fullName: u.fullName,
    role: u.role,
    company: u.company,
    jobRole: u.jobRole,
    updatedAt: u.updatedAt,
  };
}

function focusWindow() {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

/* ---- what the OS hands us: a redirect URL or a connection file ------------- */

/* Windows and Linux pass the URL (or a file) as a command-line argument,
 * both to a cold start (process.argv) and to a running app
 * ('second-instance'). Only one argument is taken, and only if it is ours. */
function handleArgv(argv, workingDirectory) {
  const args = argv.slice(process.defaultApp ? 2 : 1);
  const url = args.find((a) => typeof a === 'string' && a.startsWith(`${CONFIG.scheme}:`));
  if (url) {
    handleUrl(url);
    return;
  }
  const file = args.find((a) => typeof a === 'string' && !a.startsWith('-') && a.toLowerCase().endsWith('.json'));
  if (file) {
    handleFile(path.resolve(workingDirectory || process.cwd(), file));
  }
}

async function handleUrl(url) {
  if (!client) {
    queued.push({ url });
    return;
  }
  focusWindow();
  if (!client.isRedirect(url)) {
    // Cold start from a stale link, or a link this app did not ask for:
    // without our state and PKCE verifier it cannot be used (and must not).
    showError(new Error('This sign-in link was not started by this app window. Click "Sign in" again.'));
    return;
  }
  try {
    showUser(await client.completeSignIn(url));
  } catch (err) {
    showError(err);
  }
}

async function handleFile(filePath) {
  if (!client) {
    queued.push({ filePath });
    return;
  }
  focusWindow();
  try {
    const stat = await fs.promises.stat(filePath);
    if (!stat.isFile() || stat.size > CONFIG.connectionFileMaxBytes) {
      throw new Error('This is not a connection file.');
    }
    // A one-time code (10 minutes): once redeemed the file is useless.
    await redeem(await fs.promises.readFile(filePath, 'utf8'));
  } catch (err) {
    showError(err);
  }
}

async function redeem(text) {
  const user = await client.redeemConnectionFile(text);
  showUser(user || await client.profile());
}

/* ---- sign-in ----------------------------------------------------------------- */

async function openInBrowser(url) {
  // Only ever our own server's authorization endpoint.
  if (!url.startsWith(`${client.server}/`)) {
    throw new Error('refusing to open an unexpected URL');
  }
  await shell.openExternal(url);
}

async function signIn(mode) {
  if (loopback) {
    loopback.close();                      // a new attempt replaces the old one
    loopback = null;
  }
  if (mode === 'loopback') {
    loopback = await client.startLoopback();
    const lb = loopback;
    await openInBrowser(await client.beginSignIn(lb.redirectUri));
    lb.result.then(showUser, (err) => { if (err.message !== 'Cancelled.') showError(err); })
      .finally(() => { if (loopback === lb) loopback = null; });
    return;
  }
  // Custom scheme: the answer arrives through open-url / second-instance.
  await openInBrowser(await client.beginSignIn(CONFIG.redirectUri));
}

/* ---- IPC: the window asks, the main process does ---------------------------- */

function fromOurWindow(event) {
  return mainWindow && event.sender === mainWindow.webContents
    && event.senderFrame && event.senderFrame.url.startsWith('file://');
}

function handle(channel, fn) {
  ipcMain.handle(channel, async (event, ...args) => {
    if (!fromOurWindow(event)) {
      throw new Error('refused');
    }
    try {
      return { ok: true, value: await fn(...args) };
    } catch (err) {
      if (err.signedOut) sendState({ signedIn: false, user: null });
      return { ok: false, message: err.message };
    }
  });
}

function registerIpc() {
  handle('deskauth:sign-in', (mode) => signIn(mode === 'loopback' ? 'loopback' : 'scheme'));
  handle('deskauth:sign-out', async () => {
    await client.signOut();
    sendState({ signedIn: false, user: null, message: 'Signed out.' });
  });
  handle('deskauth:profile', async () => {
    const user = await client.profile();
    showUser(user);
    return publicUser(user);
  });
  handle('deskauth:open-connection-file', async () => {
    const { canceled, filePaths } = await dialog.showOpenDialog(mainWindow, {
      title: 'Open a connection file',
      filters: [{ name: 'Connection file', extensions: ['json'] }],
      properties: ['openFile'],
    });
    if (!canceled && filePaths[0]) {
      await handleFile(filePaths[0]);
    }
  });
  // A file dropped on the window: the renderer reads it and sends the text.
  handle('deskauth:redeem-connection-file', async (text) => {
    if (typeof text !== 'string' || text.length > CONFIG.connectionFileMaxBytes) {
      throw new Error('This is not a connection file.');
    }
    await redeem(text);
  });
}

/* ---- window -------------------------------------------------------------------- */

function createWindow() {
  mainWindow = new BrowserWindow({
    width: 560,
    height: 680,
    webPreferences: {
      preload: path.join(__dirname, 'preload.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // The window shows local UI only: no navigation, no new windows.
  mainWindow.webContents.on('will-navigate', (event) => event.preventDefault());
  mainWindow.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  mainWindow.on('closed', () => { mainWindow = null; });
  return mainWindow.loadFile(path.join(__dirname, 'index.html'));
}

/* On start: a stored refresh token means a session; refreshing proves it is
 * still valid (and rotates it). */
async function restoreSession() {
  if (!(await client.hasStoredSession())) {
    sendState({ signedIn: false, user: null });
    return;
  }
  try {
    showUser(await client.profile());
  } catch (err) {
    if (err.signedOut) {
      showError(err);                      // revoked, expired or replayed: sign in again
    } else {
      // Offline or server trouble: the stored session is kept; try again later.
      sendState({ signedIn: false, user: null, offline: true, message: `Cannot reach the server: ${err.message}` });
    }
  }
}

/* ---- protocol registration and single instance ------------------------------------ */

function registerScheme() {
  if (process.defaultApp) {
    // Development (`electron .`): the OS must start electron with our script.
    if (process.argv.length >= 2) {
      app.setAsDefaultProtocolClient(CONFIG.scheme, process.execPath, [path.resolve(process.argv[1])]);
    }
  } else {
    // Packaged app. macOS also needs CFBundleURLTypes in Info.plist and Linux
    // a .desktop file with MimeType=x-scheme-handler/com.example.desk;
    // the "build.protocols" section of package.json makes both.
    app.setAsDefaultProtocolClient(CONFIG.scheme);
  }
}

if (!app.requestSingleInstanceLock()) {
  // Another instance runs: it receives our argv in 'second-instance'.
  app.quit();
} else {
  // Windows / Linux: the redirect (or a token.json) started a second copy.
  app.on('second-instance', (_event, argv, workingDirectory) => {
    focusWindow();
    handleArgv(argv, workingDirectory);
  });

  // macOS: registered before 'ready' so that the URL of a cold start is not lost.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    handleUrl(url);
  });
  app.on('open-file', (event, filePath) => {  // macOS: token.json opened with / dropped on the app
    event.preventDefault();
    handleFile(filePath);
  });

  app.whenReady().then(async () => {
    registerScheme();
    client = new DeskAuthClient({
      server: CONFIG.server,
      clientId: CONFIG.clientId,
      redirectUri: CONFIG.redirectUri,
      loopbackPath: CONFIG.loopbackPath,
      store: createTokenStore(),
    });
    registerIpc();
    await createWindow();
    await restoreSession();
    // Windows / Linux cold start: the URL or file is in our own argv.
    handleArgv(process.argv, process.cwd());
    for (const item of queued.splice(0)) {
      if (item.url) handleUrl(item.url); else handleFile(item.filePath);
    }
  });

  app.on('activate', () => {                  // macOS: Dock icon clicked, no window
    if (!mainWindow && client) createWindow().then(restoreSession);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
