import { describe, expect, it } from 'vitest';
import { HELP, parseCommand, RETRY_HELP, STATUS_HELP, UsageError, type Command } from './cli.js';

const target = (name: string, more: Partial<{ namespace: string; context: string; kubeconfig: string }> = {}) =>
  ({ name, namespace: more.namespace, context: more.context, kubeconfig: more.kubeconfig });

describe('parseCommand', () => {
  it.each<[string[], Command]>([
    [['status', 'marvin'], { kind: 'status', target: target('marvin'), watch: false }],
    [['status', 'marvin', '-n', 'tenant-a'], { kind: 'status', target: target('marvin', { namespace: 'tenant-a' }), watch: false }],
    [['status', '--namespace=tenant-a', 'marvin', '--watch'], { kind: 'status', target: target('marvin', { namespace: 'tenant-a' }), watch: true }],
    [['status', 'marvin', '-w', '--context', 'prod', '--kubeconfig', '/tmp/kc'], { kind: 'status', target: target('marvin', { context: 'prod', kubeconfig: '/tmp/kc' }), watch: true }],
    [['retry', 'marvin', '-n', 'tenant-a'], { kind: 'retry', target: target('marvin', { namespace: 'tenant-a' }) }],
    [['--help'], { kind: 'help', text: HELP }],
    [['-h'], { kind: 'help', text: HELP }],
    [['help'], { kind: 'help', text: HELP }],
    [['status', '--help'], { kind: 'help', text: STATUS_HELP }],
    [['retry', '-h'], { kind: 'help', text: RETRY_HELP }],
    [['help', 'status'], { kind: 'help', text: STATUS_HELP }],
    [['status', 'marvin', '--help'], { kind: 'help', text: STATUS_HELP }],
    [['--version'], { kind: 'version' }],
  ])('%j', (argv, command) => { expect(parseCommand(argv)).toEqual(command); });

  it.each([
    [[], 'a command is needed: status or retry'],
    [['describe', 'marvin'], 'unknown command "describe": status or retry'],
    [['status'], 'status needs the Gaim\'s name: kubectl gaim status NAME'],
    [['retry', 'a', 'b'], 'retry takes one Gaim name, not 2'],
    [['status', 'marvin', '--bogus'], 'unknown option \'--bogus\''],
    [['status', 'marvin', '-n'], 'option \'-n, --namespace <value>\' argument missing'],
    [['status', 'marvin', '--namespace='], '--namespace needs a value'],
    [['retry', 'marvin', '--watch'], 'retry takes no --watch'],
  ])('refuses %j in one line: %s', (argv, message) => {
    const refusal = (() => {
      try {
        parseCommand(argv);
      } catch (error: unknown) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(UsageError);
    expect((refusal as UsageError).message).toBe(message);
    expect((refusal as UsageError).message).not.toContain('\n');
  });

  it('keeps every help within 100 columns', () => {
    for (const text of [HELP, STATUS_HELP, RETRY_HELP]) expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });
});
