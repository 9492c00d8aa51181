import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3StoreDriver } from '../../src/stores/drivers/s3.driver.js';
import { startLocalS3 } from '../support/s3-server.js';
import { storeDriverContract } from './store-driver.contract.js';

const PART = 5 * 1024 * 1024;

storeDriverContract('s3', { readOnly: false }, async () => {
  const s3 = await startLocalS3();
  const bucket = 'images';
  const driver = new S3StoreDriver({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    forcePathStyle: true,
    createBucketOnPut: true,
    partSize: PART,
    queueSize: 2,
    largeObjectSizeMb: 100,
  });
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    driver,
    partSize: PART,
    // Objects the S3 API lists, plus every file on the server's disk (parts of unfinished uploads).
    leftovers: async () => {
      const listed = await client
        .send(new ListObjectsV2Command({ Bucket: bucket }))
        .catch(() => ({ Contents: [] }));
      return [...(listed.Contents ?? []).map((o) => `object:${o.Key}`), ...s3.files(bucket)].sort();
    },
    missingLocation: () => `s3+http://${new URL(s3.endpoint).host}/${bucket}/no-such-image`,
    close: async () => {
      client.destroy();
      await driver.close();
      await s3.close();
    },
  };
});
