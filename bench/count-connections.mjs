// Preloaded into a gateway process by bench/per-request.mjs (`node --import`): counts the TCP connections its
// servers accept, and answers the count over the IPC channel `fork()` opens. Bench-only; never shipped.
import net from 'node:net';

let accepted = 0;
const emit = net.Server.prototype.emit;
net.Server.prototype.emit = function countingEmit(event, ...args) {
  if (event === 'connection') accepted++;
  return emit.call(this, event, ...args);
};
process.on('message', (m) => {
  if (m === 'connections') process.send({ connections: accepted });
});
// The IPC channel must not keep the gateway alive once it drains.
process.channel?.unref();
