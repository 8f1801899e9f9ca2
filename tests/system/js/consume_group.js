// kafkajs group consumer against a Skiff cluster: joins GROUP, reads COUNT
// messages of TOPIC from the beginning, commits, leaves, then reads the
// group's committed offsets back with the admin client.
// Usage: node consume_group.js BROKER TOPIC GROUP COUNT
// Prints one JSON line; exits non-zero on any error or timeout.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [broker, topic, groupId, countArg] = process.argv.slice(2);
  const count = Number(countArg);
  const kafka = new Kafka({ clientId: 'skiff-systest-kafkajs', brokers: [broker], logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, rebalanceTimeout: 10000 });
  const seen = [];
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      seen.push({ partition, offset: Number(message.offset), value: message.value.toString() });
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      if (seen.length === count) done();
    },
  });
  const timer = setTimeout(() => { console.error(`timed out after ${seen.length} of ${count}`); process.exit(1); },
                           60000);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  console.log(JSON.stringify({ seen, committed }));
}

main().catch((e) => {
  console.error(`kafkajs failed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
