// amazon-cognito-identity-js signs in twice on one "device" against the local stack:
// SRP + TOTP, ConfirmDevice and "remember" the first time; SRP then device SRP (no MFA code) the
// second time; then a refresh, which sends the device key. Prints one JSON line of what happened.
// Usage: node device_login.mjs ENDPOINT USER_POOL_ID CLIENT_ID USERNAME TOTP_SECRET
// (the password comes on stdin, so it is never on a command line).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from 'amazon-cognito-identity-js';

const [endpoint, userPoolId, clientId, username, totpSecret] = process.argv.slice(2);
const password = fs.readFileSync(0, 'utf8').split('\n')[0];
const pool = new CognitoUserPool({ UserPoolId: userPoolId, ClientId: clientId, endpoint });

function totp(secretB32) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretB32.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(value).padStart(6, '0');
}

function signIn() {
  return new Promise((resolve, reject) => {
    const user = new CognitoUser({ Username: username, Pool: pool });
    const steps = [];
    const callbacks = {
      onSuccess: (session, confirmationNecessary) =>
        resolve({ user, session, steps, confirmationNecessary: Boolean(confirmationNecessary) }),
      onFailure: reject,
      totpRequired: () => {
        steps.push('SOFTWARE_TOKEN_MFA');
        user.sendMFACode(totp(totpSecret), callbacks, 'SOFTWARE_TOKEN_MFA');
      },
      mfaRequired: () => reject(new Error('unexpected SMS_MFA')),
    };
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), callbacks);
  });
}

try {
  const first = await signIn();
  await new Promise((resolve, reject) =>
    first.user.setDeviceStatusRemembered({ onSuccess: resolve, onFailure: reject }),
  );
  const second = await signIn();
  const refreshed = await new Promise((resolve, reject) =>
    second.user.refreshSession(second.session.getRefreshToken(), (err, session) =>
      err ? reject(err) : resolve(session),
    ),
  );
  console.log(
    JSON.stringify({
      first: first.steps,
      confirmationNecessary: first.confirmationNecessary,
      second: second.steps,
      refreshed: refreshed.isValid(),
    }),
  );
} catch (err) {
  console.log(JSON.stringify({ error: err.code || err.name, message: err.message }));
  process.exit(1);
}
