/**
 * Every send answered for every partition it was meant for. kafkajs 2.2.4's sendMessages keeps,
 * across the retries of one send, the answers of the brokers that already answered, and sends
 * again only to brokers without one. When a partition's leader dies mid-send and its leadership
 * moves to a broker that has already answered, that partition's messages are never sent again,
 * and send() resolves as if they had been: one request's records of one partition silently lost
 * (fault 9 lost 28 and 36 of 76,800 points that way, in two of three runs; kafkajs PR #1798 is
 * the same shared answer map). So every producer of a Vigil client notes the partition its
 * partitioner chose for each message, and the messages of partitions missing from the answer
 * are sent again, as a new send.
 *
 * A re-sent message may exist already if its failed request was applied anyway: an idempotent
 * producer's broker drops that copy (kafkajs rewound the sequence when the request failed); a
 * non-idempotent one may store it twice: at least once, never lost.
 */
import { Partitioners, type Kafka, type Message, type Producer, type ProducerBatch, type ProducerConfig, type RecordMetadata, type TopicMessages } from 'kafkajs';
import { VigilError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';

/** Sends after the first, each for what the previous answer left out; more means kafkajs keeps dropping the same partitions. */
export const MAX_SEND_ROUNDS = 5;

type SendBatch = (batch: ProducerBatch) => Promise<RecordMetadata[]>;

/**
 * `send` once, then again for the messages of every partition its answer leaves out.
 * @param partitionOf the partition the producer's partitioner chose for a message of this send
 */
export async function sendComplete(send: SendBatch, batch: ProducerBatch, partitionOf: (m: Message) => number | undefined, logger?: Logger): Promise<RecordMetadata[]> {
  const answers: RecordMetadata[] = [];
  let pending: TopicMessages[] = batch.topicMessages ?? [];
  for (let round = 1; ; round++) {
    const answer = await send({ ...batch, topicMessages: pending });
    answers.push(...answer);
    // acks=0: the broker answers nothing, there is nothing to check.
    if (batch.acks === 0) return answers;
    const answered = new Set(answer.map((r) => `${r.topicName}\u0000${r.partition}`));
    const missing = pending
      .map(({ topic, messages }) => ({ topic, messages: messages.filter((m) => !answered.has(`${topic}\u0000${partitionOf(m)}`)) }))
      .filter((t) => t.messages.length > 0);
    if (missing.length === 0) return answers;
    const summary = missing.map(({ topic, messages }) => ({ topic, partitions: [...new Set(messages.map(partitionOf))], messages: messages.length }));
    if (round > MAX_SEND_ROUNDS) {
      throw new VigilError(`Kafka answered ${round} sends without partitions ${JSON.stringify(summary)}: their messages are not acknowledged`, {
        action: 'check the partitions\' leaders (kafka-topics --describe); the caller retries the send',
      });
    }
    logger?.warn({ missing: summary, round }, 'a send was answered without some of its partitions (their leader moved to a broker that had already answered): sending their messages again');
    pending = missing;
  }
}

/**
 * Makes every producer `kafka` creates complete its sends (sendComplete): its partitioner (the
 * one configured, kafkajs's default otherwise) is wrapped to note each message's partition.
 */
export function completeSends(kafka: Kafka, logger?: Logger): Kafka {
  const producerOf = kafka.producer.bind(kafka);
  kafka.producer = (config: ProducerConfig = {}): Producer => {
    const chosen = new WeakMap<Message, number>();
    const create = config.createPartitioner ?? Partitioners.DefaultPartitioner;
    const producer = producerOf({
      ...config,
      createPartitioner: () => {
        const partitioner = create();
        return (args) => {
          const partition = partitioner(args);
          chosen.set(args.message, partition);
          return partition;
        };
      },
    });
    const sendBatch = producer.sendBatch.bind(producer);
    const partitionOf = (m: Message) => chosen.get(m);
    producer.sendBatch = (batch) => sendComplete(sendBatch, batch, partitionOf, logger);
    producer.send = ({ topic, messages, ...rest }) => sendComplete(sendBatch, { ...rest, topicMessages: [{ topic, messages }] }, partitionOf, logger);
    return producer;
  };
  return kafka;
}
