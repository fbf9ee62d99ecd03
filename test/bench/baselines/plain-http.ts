// The floor for row 7: a plain node:http server that reads the request and answers 200 at once, nothing else.
// Run as its own process by the bench; prints {"port": …} once it listens.
import { createServer } from 'node:http';
import { keepAliveTimeoutMs } from '../../../src/http/server.js';

// The bot's keep-alive, so both keep the load generator's idle connections equally long.
const server = createServer({ keepAliveTimeout: keepAliveTimeoutMs }, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-length': '0' }).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 }));
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
