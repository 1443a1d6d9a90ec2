import { describe, expect, it } from 'vitest';
import { HELP, parseCommand, RETRY_HELP, STATUS_HELP, UsageError, WAKE_HELP, type Command } from './cli.js';

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
    [['wake', 'marvin', '-n', 'tenant-a'], { kind: 'wake', target: target('marvin', { namespace: 'tenant-a' }) }],
    [['wake', '--help'], { kind: 'help', text: WAKE_HELP }],
    [['help', 'status'], { kind: 'help', text: STATUS_HELP }],
    [['status', 'marvin', '--help'], { kind: 'help', text: STATUS_HELP }],
    [['--version'], { kind: 'version' }],
    [['backups'], { kind: 'backups', target: target(''), all: false }],
    [['backups', '-A'], { kind: 'backups', target: target(''), all: true }],
    [['backups', '-n', 'old'], { kind: 'backups', target: target('', { namespace: 'old' }), all: false }],
    [['backup', 'export', 'ns.b1', '-o', '/tmp/b1.yaml'], { kind: 'backup-export', target: target('ns.b1'), operatorNamespace: 'gaim-system', output: '/tmp/b1.yaml' }],
    [['backup', 'import', '-f', '/tmp/b1.yaml', '--operator-namespace', 'ops'], { kind: 'backup-import', target: target(''), operatorNamespace: 'ops', file: '/tmp/b1.yaml' }],
    [['backup', 'allow', 'ns.b1', '-n', 'other'], { kind: 'backup-allow', target: target('ns.b1', { namespace: 'other' }) }],
  ])('%j', (argv, command) => { expect(parseCommand(argv)).toEqual(command); });

  it.each([
    [[], 'a command is needed: status, retry, wake, backups, backup'],
    [['describe', 'marvin'], 'unknown command "describe": status, retry, wake, backups, backup'],
    [['backups', 'x'], 'backups takes no name (kubectl gaim backups [-A])'],
    [['backups', '-A', '-n', 'ns'], 'backups takes -n or -A, not both'],
    [['backups', '-w'], 'backups takes no --watch'],
    [['backup'], 'backup needs export, import or allow'],
    [['backup', 'copy', 'r'], 'unknown backup command "copy": export, import or allow'],
    [['backup', 'export'], 'backup export needs one record: kubectl gaim backup export RECORD'],
    [['backup', 'import'], 'backup import needs the file: kubectl gaim backup import -f FILE'],
    [['backup', 'import', '-f', 'x', '-o', 'y'], 'backup import takes no --output'],
    [['backup', 'allow', 'r'], 'backup allow needs one record and the namespace: kubectl gaim backup allow RECORD -n NAMESPACE'],
    [['status', 'marvin', '-A'], 'status takes no --all-namespaces'],
    [['status'], 'status needs the Gaim\'s name: kubectl gaim status NAME'],
    [['retry', 'a', 'b'], 'retry takes one Gaim name, not 2'],
    [['wake'], 'wake needs the Gaim\'s name: kubectl gaim wake NAME'],
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
    for (const text of [HELP, STATUS_HELP, RETRY_HELP, WAKE_HELP]) expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });
});
