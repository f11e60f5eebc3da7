// The AWS SDK, bundled on its own (dist/awsSdk.js): it is a third of the CLI's code and only an
// S3 remote without keys in its config needs it, so nothing else pays for loading it.
export * from '@aws-sdk/client-s3';
