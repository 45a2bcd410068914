import { GraphQLError } from 'graphql';
import type { Actor } from '../actor.ts';
import type { Context } from '../context.ts';

/** Fields behind an auth scope only run with a viewer; this narrows the type for them. */
export function actorOf(context: Context): Actor {
  if (!context.viewer) throw new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } });
  return context.viewer.actor;
}
