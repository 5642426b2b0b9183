// Drives a running Switchboard with the official OpenAI Node SDK, unchanged.
// SWITCHBOARD_BASE_URL (…/v1) and SWITCHBOARD_API_KEY say where. Prints one JSON line of
// findings; the pytest side (tests/system/test_node_sdk.py) judges them.
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.SWITCHBOARD_BASE_URL,
  apiKey: process.env.SWITCHBOARD_API_KEY,
  maxRetries: 0,
});
const messages = [{ role: "user", content: "Hello, Node" }];
const found = {};

const models = [];
for await (const model of client.models.list()) models.push(model.id);
found.models = models;

const reply = await client.chat.completions.create({ model: "local-chat", messages });
found.content = reply.choices[0].message.content;
found.usage = reply.usage;

// The stream helper needs the role in the first chunk; it accumulates the final message.
const runner = client.chat.completions.stream({
  model: "local-chat",
  messages,
  stream_options: { include_usage: true },
});
const pieces = [];
runner.on("content", (delta) => pieces.push(delta));
const final = await runner.finalChatCompletion();
found.streamed = pieces.join("");
found.final = final.choices[0].message.content;
found.finalRole = final.choices[0].message.role;
found.streamUsage = final.usage;

// The SDK asks for base64 by default and decodes it.
const embedding = await client.embeddings.create({ model: "local-embed", input: "hello" });
found.embeddingLength = embedding.data[0].embedding.length;
found.embeddingHead = embedding.data[0].embedding.slice(0, 3);
const floats = await client.embeddings.create({
  model: "local-embed",
  input: "hello",
  encoding_format: "float",
});
found.floatHead = floats.data[0].embedding.slice(0, 3);

try {
  await client.chat.completions.create({ model: "no-such-model", messages });
} catch (error) {
  found.notFound = { name: error.constructor.name, status: error.status, code: error.code };
}
try {
  await new OpenAI({ baseURL: process.env.SWITCHBOARD_BASE_URL, apiKey: "sb_wrong", maxRetries: 0 })
    .models.list();
} catch (error) {
  found.badKey = { name: error.constructor.name, status: error.status, code: error.code };
}

console.log(JSON.stringify(found));
