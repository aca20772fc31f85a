/**
 * The `room` command's `record` field (issue 10 §5): a user stops (or resumes) the
 * recording of a channel they keep joined; biboumi's `record_history` on its room
 * `configure` node lands on it. The field exists only with a store that keeps it.
 */
import { describe, expect, it } from 'vitest';
import { MemoryPorts, MemoryRoomEncodings, MemoryRoomSettings } from './fake-ports.js';
import { ALICE, NET, NS_COMMANDS, ON_ROOM, commandErrorOf, commands, context, execute, fieldValues, run } from './adhoc-steps.js';

const setup = () => {
  const rooms = new MemoryRoomSettings();
  return { rooms, ctx: context(ON_ROOM, new MemoryPorts(), { roomEncodings: rooms }) };
};
const action = [{ kind: 'room-settings', user: ALICE, network: NET, channel: '#jabirc' }];
const noteOf = (reply: ReturnType<typeof run>['reply']): string | undefined => reply.getChild('command', NS_COMMANDS)?.getChildText('note') ?? undefined;

describe('room: record', () => {
  it('shows whether the room is recorded; turning it off stores it, tells the bridge and says so', () => {
    const { rooms, ctx } = setup();
    expect(fieldValues(execute(commands(), ON_ROOM, 'room', ctx).form)).toEqual({ persistent: ['false'], key: [], encoding: [], record: ['true'] });
    const off = run(ON_ROOM, 'room', { record: 'false' }, ctx);
    expect(rooms.recording(ALICE, NET, '#jabirc')).toBe(false);
    expect(off.actions).toEqual(action);
    expect(noteOf(off.reply)).toBe('Saved. #jabirc is left when you leave it. Its history is no longer recorded for you.');
    expect(fieldValues(execute(commands(), ON_ROOM, 'room', ctx).form).record).toEqual(['false']);

    const same = run(ON_ROOM, 'room', { record: '0', encoding: 'koi8-r' }, ctx);
    expect(same.actions).toEqual([]);
    expect(noteOf(same.reply)).toBe('Saved. #jabirc is left when you leave it.');
    const left = run(ON_ROOM, 'room', { persistent: 'true' }, ctx);
    expect(rooms.recording(ALICE, NET, '#jabirc')).toBe(false); // a form without the field keeps it

    const on = run(ON_ROOM, 'room', { record: '1' }, ctx);
    expect(rooms.recording(ALICE, NET, '#jabirc')).toBe(true);
    expect(on.actions).toEqual(action);
    expect(noteOf(on.reply)).toBe('Saved. #jabirc stays joined while you are offline. Its history is recorded for you again.');
    expect(left.actions).toEqual(action);
  });

  it('a value that is not a boolean is refused naming the field, and nothing is written', () => {
    const { rooms, ctx } = setup();
    const { reply, actions } = run(ON_ROOM, 'room', { record: 'no', persistent: 'true' }, ctx);
    expect(commandErrorOf(reply)).toMatchObject({ condition: 'bad-request', specific: 'bad-payload' });
    expect(commandErrorOf(reply).text).toContain('field "record"');
    expect(actions).toEqual([]);
    expect(rooms.notRecorded.size).toBe(0);
  });

  it('without a store that keeps it there is no record field, and a submitted one is ignored', () => {
    const ctx = context(ON_ROOM, new MemoryPorts(), { roomEncodings: new MemoryRoomEncodings() });
    expect(Object.keys(fieldValues(execute(commands(), ON_ROOM, 'room', ctx).form))).toEqual(['persistent', 'key', 'encoding']);
    expect(run(ON_ROOM, 'room', { record: 'false' }, ctx).actions).toEqual([]);
  });
});

describe("configure on a room: biboumi's record_history onto record", () => {
  it.each<[string, boolean]>([
    ['false', false],
    ['true', true],
    ['unset', true], // biboumi's "the global setting": Jabirc records unless turned off
  ])('record_history %s → recorded %s', (value, recorded) => {
    const { rooms, ctx } = setup();
    rooms.setRecording(ALICE, NET, '#jabirc', !recorded);
    const c = commands();
    expect(Object.keys(fieldValues(execute(c, ON_ROOM, 'configure', ctx).form))).toEqual(['persistent', 'key', 'encoding_in', 'record_history']);
    const { reply } = run(ON_ROOM, 'configure', { record_history: value }, ctx, c);
    expect(rooms.recording(ALICE, NET, '#jabirc')).toBe(recorded);
    expect(noteOf(reply)).not.toContain('Not applied');
  });

  it('a bad value is refused under biboumi\'s name', () => {
    const { ctx } = setup();
    const { reply } = run(ON_ROOM, 'configure', { record_history: 'sometimes' }, ctx);
    expect(commandErrorOf(reply).text).toContain('field "record_history"');
  });
});

describe('room settings per user are bounded (issue 8 §5)', () => {
  it('refuses a setting for one more room past the bound, naming the field, and keeps changes to rooms already set', async () => {
    const { SqliteRoomEncodingStore } = await import('../../../src/store/room-settings-store.js');
    const { openDatabase } = await import('../../../src/store/database.js');
    const { MAX_ROOM_SETTINGS_PER_USER } = await import('../../../src/core/adhoc.js');
    const rooms = new SqliteRoomEncodingStore(openDatabase(':memory:').db, { now: () => 1 });
    for (let i = 0; i < MAX_ROOM_SETTINGS_PER_USER - 1; i++) rooms.set(ALICE, NET, `#r${i}`, 'koi8-r');
    rooms.set(ALICE, NET, '#jabirc', 'koi8-r'); // the bound reached, this room among them
    const ctx = context(ON_ROOM, new MemoryPorts(), { roomEncodings: rooms });
    run(ON_ROOM, 'room', { encoding: 'windows-1252' }, ctx);
    expect(rooms.get(ALICE, NET, '#jabirc')).toBe('windows-1252'); // a room already kept may change
    rooms.set(ALICE, NET, '#jabirc', undefined); // one row fewer…
    rooms.set(ALICE, NET, '#other', 'koi8-r'); // …and the bound reached again without #jabirc
    const refused = run(ON_ROOM, 'room', { encoding: 'windows-1252' }, ctx).reply;
    expect(commandErrorOf(refused).text).toContain('field "encoding"');
    expect(rooms.get(ALICE, NET, '#jabirc')).toBeUndefined();
  });
});
