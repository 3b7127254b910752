'use strict';
/*
 * preload.js: the only bridge between the window and the main process.
 * The window never sees a token: it can ask to sign in or out, for the
 * profile, and hand over a dropped connection file's text.
 */
const { contextBridge, ipcRenderer } = require('electron');

const MAX_FILE = 64 * 1024;

contextBridge.exposeInMainWorld('deskauth', {
  signIn: (mode) => ipcRenderer.invoke('deskauth:sign-in', mode === 'loopback' ? 'loopback' : 'scheme'),
  signOut: () => ipcRenderer.invoke('deskauth:sign-out'),
  profile: () => ipcRenderer.invoke('deskauth:profile'),
  openConnectionFile: () => ipcRenderer.invoke('deskauth:open-connection-file'),
  redeemConnectionFile: (text) => {
    const s = String(text);
    if (s.length > MAX_FILE) {
      return Promise.resolve({ ok: false, message: 'This is not a connection file.' });
    }
    return ipcRenderer.invoke('deskauth:redeem-connection-file', s);
  },
  onState: (callback) => {
    const listener = (_event, state) => callback(state);
    ipcRenderer.on('deskauth:state', listener);
    return () => ipcRenderer.removeListener('deskauth:state', listener);
  },
});
