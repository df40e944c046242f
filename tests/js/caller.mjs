// One STS GetCallerIdentity call signed with credentials from a credential_process profile.
// Usage: node caller.mjs ENDPOINT_URL [PROFILE] [REGION]
// Prints {"Arn", "Account", "AccessKeyId"} as JSON; on failure one line on stderr, exit 1.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromIni } from "@aws-sdk/credential-providers";

const [endpoint, profile = "scribe", region = "eu-west-2"] = process.argv.slice(2);
if (!endpoint) {
  console.error("usage: node caller.mjs ENDPOINT_URL [PROFILE] [REGION]");
  process.exit(2);
}

const credentials = fromIni({ profile });
const client = new STSClient({ region, endpoint, credentials });
try {
  const identity = await client.send(new GetCallerIdentityCommand({}));
  const used = await credentials();
  process.stdout.write(
    JSON.stringify({
      Arn: identity.Arn,
      Account: identity.Account,
      AccessKeyId: used.accessKeyId,
    }) + "\n",
  );
} catch (err) {
  console.error(`${err.name}: ${err.message}`);
  process.exit(1);
}
