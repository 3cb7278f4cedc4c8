import { defineConfig } from 'vitest/config';

const workspaces = ['infra', 'terminology', 'fhir-hub', 'adapters', 'bots', 'ui'];

export default defineConfig({
  test: {
    projects: [
      ...workspaces.map((name) => ({
        extends: true as const,
        test: {
          name,
          root: `./${name}`,
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        },
      })),
      { extends: true as const, test: { name: 'cli', root: '.', include: ['cli/**/*.test.ts'] } },
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    passWithNoTests: false,
  },
});
