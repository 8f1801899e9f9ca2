// kafkajs against a Skiff broker: admin (create topic, metadata, offsets)
// and a producer.  Usage: node produce_admin.js BROKER TOPIC PARTITIONS COUNT
// Prints one JSON line with what kafkajs saw; exits non-zero on any error.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [broker, topic, partitionsArg, countArg] = process.argv.slice(2);
  const partitions = Number(partitionsArg);
  const count = Number(countArg);
  const kafka = new Kafka({ clientId: 'skiff-systest-kafkajs', brokers: [broker], logLevel: logLevel.WARN,
                            retry: { retries: 5, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let acked = 0;
  const batch = 500;
  for (let i = 0; i < count; i += batch) {
    const messages = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      messages.push({ key: `k${j}`, value: `kafkajs-${j}`, partition: j % partitions,
                      headers: { seq: String(j) } });
    }
    // acks=-1 is kafkajs's default; answers come after the broker's fsync.
    // send() resolves once every message of the call is acknowledged, with
    // one result per partition.
    const res = await producer.send({ topic, messages });
    if (res.some((r) => r.errorCode !== 0)) throw new Error(`produce errors: ${JSON.stringify(res)}`);
    acked += messages.length;
  }
  const offsets = await admin.fetchTopicOffsets(topic);
  await producer.disconnect();
  await admin.disconnect();
  const parts = meta.topics[0].partitions.map((p) => ({ partition: p.partitionId, leader: p.leader }));
  console.log(JSON.stringify({ created, partitions: parts, acked,
                               offsets: offsets.map((o) => ({ partition: o.partition, high: o.high, low: o.low })) }));
}

main().catch((e) => {
  console.error(`kafkajs failed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
