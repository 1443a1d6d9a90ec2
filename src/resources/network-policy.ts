import type { Gaim } from '../api/v1alpha1/gaim.js';
import { Labels } from '../kube/labels.js';
import type { KubeObject } from '../kube/objects.js';
import { MONGODB_PORT } from './mongodb.js';
import { objectNames, ownedMeta } from './meta.js';
import { REDIS_PORT } from './redis.js';

/**
 * Only pods of the Gaim's own namespace, and the operator's own pods (seeding, probes, backups) — not
 * any other pod of the operator's namespace — may reach the GAIM's MongoDB and Redis: one peer that
 * selects both the namespace and the pods' labels (both must match). The stores themselves reach
 * nothing (they call no one, so a store taken over cannot be used to reach further).
 */
export function storesNetworkPolicy(gaim: Gaim, operatorNamespace: string, operatorPods: Readonly<Record<string, string>>): KubeObject {
  const from = [
    { podSelector: {} },
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': operatorNamespace } }, podSelector: { matchLabels: { ...operatorPods } } },
  ];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: ownedMeta(gaim, objectNames(gaim).networkPolicy, 'network-policy'),
    spec: {
      podSelector: {
        matchLabels: { [Labels.instance]: gaim.metadata.name },
        matchExpressions: [{ key: Labels.component, operator: 'In', values: ['mongodb', 'redis'] }],
      },
      policyTypes: ['Ingress', 'Egress'],
      egress: [],
      ingress: [{
        from,
        ports: [{ protocol: 'TCP', port: MONGODB_PORT }, { protocol: 'TCP', port: REDIS_PORT }],
      }],
    },
  };
}
