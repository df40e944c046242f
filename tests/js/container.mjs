// STS GetCallerIdentity calls signed with credentials from the default provider chain, which
// finds the container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI + _AUTHORIZATION_TOKEN).
// Usage: node container.mjs ENDPOINT_URL [REGION] [CALLS] [INTERVAL_SECONDS]
// Prints one JSON line per call: {"Arn", "AccessKeyId"} or {"Error"}; exits 1 if any call failed.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

const [endpoint, region = "eu-west-2", calls = "1", interval = "0"] = process.argv.slice(2);
if (!endpoint) {
  console.error("usage: node container.mjs ENDPOINT_URL [REGION] [CALLS] [INTERVAL_SECONDS]");
  process.exit(2);
}

const client = new STSClient({ region, endpoint });
let failed = 0;
for (let i = 0; i < Number(calls); i++) {
  if (i > 0) await new Promise((done) => setTimeout(done, Number(interval) * 1000));
  try {
    const identity = await client.send(new GetCallerIdentityCommand({}));
    const used = await client.config.credentials();
    process.stdout.write(JSON.stringify({ Arn: identity.Arn, AccessKeyId: used.accessKeyId }) + "\n");
  } catch (err) {
    failed++;
    process.stdout.write(JSON.stringify({ Error: `${err.name}: ${err.message}` }) + "\n");
  }
}
process.exit(failed ? 1 : 0);
