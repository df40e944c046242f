// Device SRP values computed by amazon-cognito-identity-js (Amplify's Cognito client), an
// implementation independent of scribeauth/srp.py, for tests/test_srp.py.
//
// Usage: node device_srp.mjs < cases.json > answers.json   (npm install --prefix tests/js-cognito)
// Input: a JSON list of cases, each one of
//   {"kind": "verifier", "device_group_key": G, "device_key": K}
//       -> generateHashDevice(G, K) as CognitoUser does after NewDeviceMetadata, with the
//          library's own randomness: {"password", "salt_hex", "verifier_hex", "salt_b64",
//          "verifier_b64"} (the last two are ConfirmDevice's DeviceSecretVerifierConfig).
//   {"kind": "claim", "device_group_key", "device_key", "password", "a_hex", "srp_b_hex",
//    "salt_hex", "secret_block_b64", "timestamp"}
//       -> the DEVICE_PASSWORD_VERIFIER answer CognitoUser.getDeviceResponse builds:
//          {"srp_a_hex", "signature"} (a fixed in place of the library's random one).
import { createHmac } from "node:crypto";
import cognito from "amazon-cognito-identity-js";
import bigInteger from "amazon-cognito-identity-js/lib/BigInteger.js";

const { AuthenticationHelper } = cognito;
const BigInteger = bigInteger.default;

function call(fn) {
  return new Promise((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value)));
  });
}

async function verifier(c) {
  const helper = new AuthenticationHelper(c.device_group_key);
  await call((done) => helper.generateHashDevice(c.device_group_key, c.device_key, done));
  const salt = helper.getSaltDevices();
  const verifierHex = helper.getVerifierDevices();
  return {
    password: helper.getRandomPassword(),
    salt_hex: salt,
    verifier_hex: verifierHex,
    salt_b64: Buffer.from(salt, "hex").toString("base64"),
    verifier_b64: Buffer.from(verifierHex, "hex").toString("base64"),
  };
}

async function claim(c) {
  // getDeviceResponse: new AuthenticationHelper(deviceGroupKey), then
  // getPasswordAuthenticationKey(deviceKey, randomPassword, B, salt).
  const helper = new AuthenticationHelper(c.device_group_key);
  helper.smallAValue = new BigInteger(c.a_hex, 16);
  helper.largeAValue = undefined;
  const bigA = await call((done) => helper.getLargeAValue(done));
  const key = await call((done) =>
    helper.getPasswordAuthenticationKey(
      c.device_key,
      c.password,
      new BigInteger(c.srp_b_hex, 16),
      new BigInteger(c.salt_hex, 16),
      done,
    ),
  );
  // The message and HMAC exactly as getDeviceResponse builds them.
  const message = Buffer.concat([
    Buffer.from(c.device_group_key, "utf8"),
    Buffer.from(c.device_key, "utf8"),
    Buffer.from(c.secret_block_b64, "base64"),
    Buffer.from(c.timestamp, "utf8"),
  ]);
  const signature = createHmac("sha256", key).update(message).digest("base64");
  return { srp_a_hex: bigA.toString(16), signature };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const answers = [];
for (const c of cases) {
  answers.push(c.kind === "verifier" ? await verifier(c) : await claim(c));
}
process.stdout.write(JSON.stringify(answers) + "\n");
