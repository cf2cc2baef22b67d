import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import { isWithin } from './volumes.ts';

const PROVISIONED = 'tributary.io/test-node-agent-volume';

/**
 * A test volume provisioner: every Pending claim gets a PersistentVolume pre-bound to it (claimRef)
 * whose hostPath is a fresh directory, so the controller manager's PV binder binds them and the
 * scheduler places the pod. Volumes whose claim is gone (Released) are deleted with their
 * directory, which is what reclaimPolicy Delete would do. Sizes are recorded, never enforced.
 */
export async function provisionVolumes(core: CoreV1Api, dir: string): Promise<void> {
  const claims = await core.listPersistentVolumeClaimForAllNamespaces();
  const volumes = await core.listPersistentVolume();
  const claimed = new Set(volumes.items.map((v) => v.spec?.claimRef?.uid).filter(Boolean));
  for (const pvc of claims.items) {
    if (pvc.status?.phase !== 'Pending' || pvc.spec?.volumeName || claimed.has(pvc.metadata!.uid!) || pvc.metadata?.deletionTimestamp) continue;
    const name = `pv-${pvc.metadata!.uid}`;
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    await core.createPersistentVolume({
      body: {
        metadata: { name, labels: { [PROVISIONED]: 'true' } },
        spec: {
          capacity: { storage: pvc.spec?.resources?.requests?.['storage'] ?? '1Gi' },
          accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
          storageClassName: pvc.spec?.storageClassName ?? '',
          persistentVolumeReclaimPolicy: 'Retain',
          hostPath: { path, type: 'Directory' },
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata!.namespace!, name: pvc.metadata!.name!, uid: pvc.metadata!.uid! },
        },
      },
    }).catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
  }
  for (const pv of volumes.items) {
    if (pv.metadata?.labels?.[PROVISIONED] !== 'true' || pv.status?.phase !== 'Released') continue;
    await core.deletePersistentVolume({ name: pv.metadata.name! }).catch(() => undefined);
    // The label is anyone's to set: only a directory of the agent's own is ever removed.
    const path = pv.spec?.hostPath?.path;
    if (path && existsSync(path) && isWithin(dir, path) && path !== dir) rmSync(path, { recursive: true, force: true });
  }
}
