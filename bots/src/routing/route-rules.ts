/**
 * Routing rules: which destinations a resource goes to. Every condition a rule gives must hold;
 * within a list any value will do; texts compare without case; patterns are regular expressions
 * searched anywhere (anchor them with ^ and $), also without case. Several rules may send to the
 * same destination: it is sent once, after the longest `stableSeconds` among them.
 */
import type { RoutingRule } from '@simpul/infra';
import type { RoutingFacts } from './routing-facts.ts';

export interface RouteMatch {
  readonly destination: string;
  /** The rules that send there, in config order. */
  readonly rules: readonly string[];
  readonly stableSeconds: number;
}

export interface RuleVerdict {
  readonly rule: string;
  readonly matched: boolean;
  /** Why it did not match: the first condition that failed, with what the resource has. */
  readonly reason?: string;
}

export function evaluateRule(rule: RoutingRule, facts: RoutingFacts): RuleVerdict {
  const when = rule.when;
  const failed = (condition: string, wanted: string, found: readonly string[]): RuleVerdict => ({
    rule: rule.name,
    matched: false,
    reason: `${condition}: wants ${wanted}, the ${facts.resourceType} has ${found.length > 0 ? found.join(', ') : 'none'}`,
  });
  if (!when.resourceType.includes(facts.resourceType)) return failed('resourceType', when.resourceType.join(' or '), [facts.resourceType]);
  const lists: [string, readonly string[] | undefined, readonly string[]][] = [
    ['modality', when.modality, facts.modalities],
    ['callingAeTitle', when.callingAeTitle, facts.callingAeTitles],
    ['calledAeTitle', when.calledAeTitle, facts.calledAeTitles],
    ['sendingFacility', when.sendingFacility, facts.sendingFacilities],
  ];
  for (const [condition, wanted, found] of lists) {
    if (wanted && !anyEqual(wanted, found)) return failed(condition, wanted.join(' or '), found);
  }
  const patterns: [string, string | undefined, readonly string[]][] = [
    ['patientIdentifier', when.patientIdentifier, facts.patientIdentifiers],
    ['referringPhysician', when.referringPhysician, facts.referringPhysicians],
    ['studyDescription', when.studyDescription, facts.studyDescriptions],
  ];
  for (const [condition, pattern, found] of patterns) {
    if (pattern !== undefined && !found.some((value) => new RegExp(pattern, 'iu').test(value))) return failed(condition, `/${pattern}/`, found);
  }
  return { rule: rule.name, matched: true };
}

export function matchRoutes(rules: readonly RoutingRule[], facts: RoutingFacts): RouteMatch[] {
  const byDestination = new Map<string, { rules: string[]; stableSeconds: number }>();
  for (const rule of rules) {
    if (!evaluateRule(rule, facts).matched) continue;
    for (const destination of rule.sendTo) {
      const match = byDestination.get(destination) ?? { rules: [], stableSeconds: 0 };
      match.rules.push(rule.name);
      match.stableSeconds = Math.max(match.stableSeconds, rule.stableSeconds);
      byDestination.set(destination, match);
    }
  }
  return [...byDestination].map(([destination, match]) => ({ destination, ...match }));
}

function anyEqual(wanted: readonly string[], found: readonly string[]): boolean {
  const lower = new Set(found.map((value) => value.toLowerCase()));
  return wanted.some((value) => lower.has(value.toLowerCase()));
}
