import { describe, expect, it } from 'vitest';
import { CONDITION_TYPES, type Condition, type ErrorType } from '../../../src/core/errors.js';
import * as numerics from '../../../src/core/irc-numerics.js';
import {
  type IrcErrorTable,
  JOIN_ERRORS,
  MESSAGE_ERRORS,
  NICK_CHANGE_ERRORS,
  ircErrorToCondition,
} from '../../../src/core/irc-numerics.js';

describe('numeric constants', () => {
  it.each<[string, string]>([
    ['RPL_WELCOME', '001'],
    ['RPL_ISUPPORT', '005'],
    ['RPL_AWAY', '301'],
    ['RPL_UNAWAY', '305'],
    ['RPL_NOWAWAY', '306'],
    ['RPL_LISTSTART', '321'],
    ['RPL_LIST', '322'],
    ['RPL_LISTEND', '323'],
    ['RPL_CHANNELMODEIS', '324'],
    ['RPL_NOTOPIC', '331'],
    ['RPL_TOPIC', '332'],
    ['RPL_TOPICWHOTIME', '333'],
    ['RPL_NAMREPLY', '353'],
    ['RPL_ENDOFNAMES', '366'],
    ['RPL_MOTD', '372'],
    ['RPL_MOTDSTART', '375'],
    ['RPL_ENDOFMOTD', '376'],
    ['ERR_NOSUCHNICK', '401'],
    ['ERR_NOSUCHSERVER', '402'],
    ['ERR_NOSUCHCHANNEL', '403'],
    ['ERR_CANNOTSENDTOCHAN', '404'],
    ['ERR_TOOMANYCHANNELS', '405'],
    ['ERR_NOMOTD', '422'],
    ['ERR_ERRONEUSNICKNAME', '432'],
    ['ERR_NICKNAMEINUSE', '433'],
    ['ERR_NICKCOLLISION', '436'],
    ['ERR_UNAVAILRESOURCE', '437'],
    ['ERR_USERNOTINCHANNEL', '441'],
    ['ERR_NOTONCHANNEL', '442'],
    ['ERR_NEEDMOREPARAMS', '461'],
    ['ERR_PASSWDMISMATCH', '464'],
    ['ERR_YOUREBANNEDCREEP', '465'],
    ['ERR_CHANNELISFULL', '471'],
    ['ERR_UNKNOWNMODE', '472'],
    ['ERR_INVITEONLYCHAN', '473'],
    ['ERR_BANNEDFROMCHAN', '474'],
    ['ERR_BADCHANNELKEY', '475'],
    ['ERR_BADCHANMASK', '476'],
    ['ERR_NEEDREGGEDNICK', '477'],
    ['ERR_NOCHANMODES', '477'],
    ['ERR_CHANOPRIVSNEEDED', '482'],
    ['ERR_SECUREONLYCHAN', '489'],
    ['ERR_OPERONLY', '520'],
    ['RPL_LOGGEDIN', '900'],
    ['ERR_NICKLOCKED', '902'],
    ['RPL_SASLSUCCESS', '903'],
    ['ERR_SASLFAIL', '904'],
    ['ERR_SASLTOOLONG', '905'],
    ['ERR_SASLABORTED', '906'],
  ])('%s = %s', (name, value) => {
    expect((numerics as Record<string, unknown>)[name]).toBe(value);
  });

  it('are all three-digit strings, and names are unique per kind', () => {
    const entries = Object.entries(numerics).filter(([name]) => /^(RPL|ERR)_/.test(name));
    for (const [name, value] of entries) expect(value, name).toMatch(/^[0-9]{3}$/);
    // The only deliberate alias: 477 under its modern and RFC 2812 names.
    const byValue = new Map<unknown, string[]>();
    for (const [name, value] of entries) byValue.set(value, [...(byValue.get(value) ?? []), name]);
    const shared = [...byValue.values()].filter((names) => names.length > 1);
    expect(shared).toEqual([['ERR_NEEDREGGEDNICK', 'ERR_NOCHANMODES']]);
  });
});

type Row = [numeric: string, condition: Condition, type: ErrorType];

function expectTable(table: IrcErrorTable, rows: readonly Row[]): void {
  for (const [numeric, condition, type] of rows) {
    expect(ircErrorToCondition(table, numeric), numeric).toEqual({ condition, type });
  }
  expect(Object.keys(table).sort()).toEqual(rows.map(([numeric]) => numeric).sort());
}

describe('JOIN_ERRORS (XEP-0045 §7.2)', () => {
  const rows: Row[] = [
    ['403', 'item-not-found', 'cancel'],
    ['405', 'resource-constraint', 'wait'],
    ['471', 'service-unavailable', 'wait'],
    ['473', 'registration-required', 'auth'],
    ['474', 'forbidden', 'auth'],
    ['475', 'not-authorized', 'auth'],
    ['476', 'jid-malformed', 'modify'],
    ['477', 'registration-required', 'auth'],
    ['479', 'jid-malformed', 'modify'],
    ['489', 'not-allowed', 'cancel'],
    ['520', 'not-allowed', 'cancel'],
    ['437', 'service-unavailable', 'wait'],
    ['431', 'not-acceptable', 'modify'],
    ['432', 'not-acceptable', 'modify'],
    ['433', 'conflict', 'cancel'],
    ['435', 'not-allowed', 'cancel'],
    ['436', 'conflict', 'cancel'],
    ['438', 'resource-constraint', 'wait'],
    ['447', 'not-allowed', 'cancel'],
    ['484', 'not-allowed', 'cancel'],
    ['902', 'not-acceptable', 'cancel'],
  ];
  it('maps every join numeric, and only those', () => expectTable(JOIN_ERRORS, rows));
});

describe('NICK_CHANGE_ERRORS (XEP-0045 §7.6)', () => {
  const rows: Row[] = [
    ['431', 'not-acceptable', 'modify'],
    ['432', 'not-acceptable', 'modify'],
    ['433', 'conflict', 'cancel'],
    ['435', 'not-allowed', 'cancel'],
    ['436', 'conflict', 'cancel'],
    ['437', 'conflict', 'cancel'],
    ['438', 'resource-constraint', 'wait'],
    ['447', 'not-allowed', 'cancel'],
    ['484', 'not-allowed', 'cancel'],
    ['902', 'not-acceptable', 'cancel'],
  ];
  it('maps every nick numeric, and only those', () => expectTable(NICK_CHANGE_ERRORS, rows));
});

describe('MESSAGE_ERRORS (XEP-0045 §7.4, §7.5, §8.1)', () => {
  const rows: Row[] = [
    ['401', 'item-not-found', 'cancel'],
    ['403', 'item-not-found', 'cancel'],
    ['404', 'forbidden', 'auth'],
    ['442', 'not-acceptable', 'modify'],
    ['477', 'registration-required', 'auth'],
    ['482', 'forbidden', 'auth'],
    ['486', 'registration-required', 'auth'],
    ['531', 'forbidden', 'auth'],
    ['716', 'forbidden', 'auth'],
  ];
  it('maps every message numeric, and only those', () => expectTable(MESSAGE_ERRORS, rows));
});

describe('ircErrorToCondition', () => {
  it.each<[IrcErrorTable, string]>([
    [JOIN_ERRORS, '999'],
    [JOIN_ERRORS, '401'],
    [MESSAGE_ERRORS, '433'],
    [NICK_CHANGE_ERRORS, 'constructor'],
    [NICK_CHANGE_ERRORS, '__proto__'],
    [MESSAGE_ERRORS, ''],
  ])('falls back to undefined-condition for %#: %j', (table, numeric) => {
    expect(ircErrorToCondition(table, numeric)).toEqual({ condition: 'undefined-condition', type: 'cancel' });
  });

  it('uses only the type RFC 6120 recommends, except where XEP-0045 shows another', () => {
    const exceptions = new Set(['471', '437', '902']);
    for (const table of [JOIN_ERRORS, NICK_CHANGE_ERRORS, MESSAGE_ERRORS]) {
      for (const [numeric, { condition, type }] of Object.entries(table)) {
        if (exceptions.has(numeric)) continue;
        expect(type, numeric).toBe(CONDITION_TYPES[condition]);
      }
    }
  });
});
