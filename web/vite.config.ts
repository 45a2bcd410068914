import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// SvelteKit 3 reads its options here (there is no svelte.config.js).
export default defineConfig({
  plugins: [
    sveltekit({
      // Brotli and gzip files beside each asset: the handler serves them to clients that accept them.
      adapter: adapter({ out: 'build', precompress: true }),
      compilerOptions: { runes: true },
    }),
  ],
  server: { proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true } } },
});
