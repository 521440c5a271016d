// A raw TCP exchange with an HTTP server, for the tests of what a server does to clients that no
// HTTP library would imitate (a body dripped byte by byte, headers never finished).
import net from 'node:net';

/** Opens a connection to `url`'s host and port, lets `drive` write to it, and resolves with all it
 * read once the server closed it. */
export function rawExchange(url: string, drive: (socket: net.Socket) => void): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    // The server may reset a connection it cut off while the client was still writing.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' && text !== '') resolve(text);
      else reject(error);
    });
    socket.on('close', () => resolve(text));
    drive(socket);
  });
}
