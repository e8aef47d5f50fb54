/** The list of in-flight responses the drain walks (`runtime/in-flight.ts`). */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { InFlightResponses } from '../../runtime/in-flight';

function response(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()));
}

it('holds exactly the responses added and not yet removed, whatever the order of removal', () => {
  const list = new InFlightResponses();
  const res = [response(), response(), response(), response(), response()];
  const entries = res.map((r) => list.add(r));
  // The newest (head), a middle one and the oldest (tail).
  for (const i of [4, 2, 0]) list.remove(entries[i] as ReturnType<typeof list.add>);
  expect(new Set(list)).toEqual(new Set([res[1], res[3]]));
  // Removing twice changes nothing.
  list.remove(entries[2] as ReturnType<typeof list.add>);
  list.remove(entries[4] as ReturnType<typeof list.add>);
  expect([...list].length).toBe(2);
  list.remove(entries[1] as ReturnType<typeof list.add>);
  list.remove(entries[3] as ReturnType<typeof list.add>);
  expect([...list]).toEqual([]);
  const again = list.add(res[0] as ServerResponse);
  expect([...list]).toEqual([res[0]]);
  list.remove(again);
  expect([...list]).toEqual([]);
});
