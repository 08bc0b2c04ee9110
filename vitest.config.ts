import { defineConfig } from 'vitest/config';

// Test projects, from fastest to slowest. The e2e project needs the local control plane
// (`make cluster-up`), whose kubeconfig it reads from .flywheel/kubeconfig.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'services', include: ['test/services/**/*.test.ts'], testTimeout: 30_000 } },
      { test: { name: 'eks', include: ['test/eks/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // The e2e files share one API server and start operator processes, so they
          // run one file at a time and never fight over the same objects.
          fileParallelism: false,
        },
      },
    ],
  },
});
