import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type {
  AssessmentRequestDto,
  ComparisonBatchRequestDto,
  CostQuote,
  EssayBatchRequestDto,
  LlmConfigOverrides,
} from '#contracts';
import { generatePairs } from '#cj-scoring';
import { PROVIDERS_CONFIG, type ProvidersConfig } from '#llm-providers';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { ProviderAvailabilityService } from '../providers/provider-availability.service.js';
import { ProviderSelectionService } from '../comparison/provider-selection.service.js';
import { estimateCost, type ComparisonSize } from './cost-estimate.js';

/**
 * Quotes batches and assessments before anything is spent, and enforces a caller's `max_cost_usd`. Stores
 * nothing: the same resolution of provider/model as an acceptance, then an estimate from the text sizes.
 */
@Injectable()
export class CostQuoteService {
  constructor(
    private readonly selection: ProviderSelectionService,
    private readonly availability: ProviderAvailabilityService,
    @Inject(PROVIDERS_CONFIG) private readonly providersConfig: ProvidersConfig,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  async quoteBatch(body: ComparisonBatchRequestDto | EssayBatchRequestDto): Promise<CostQuote> {
    let sizes: ComparisonSize[];
    if ('essays' in body) {
      // Essay-referencing form: each comparison costs its two essays plus the shared prompt.
      const lengths = new Map(body.essays.map((e) => [e.essay_id, e.text.length]));
      const sharedChars = body.user_prompt.length;
      sizes = body.comparisons.map((c) => ({
        sharedChars,
        essayChars: (lengths.get(c.essay_a_id) ?? 0) + (lengths.get(c.essay_b_id) ?? 0),
      }));
    } else {
      sizes = body.comparisons.map((c): ComparisonSize => ({
        sharedChars: c.user_prompt.length,
        essayChars: c.essay_a.length + c.essay_b.length,
      }));
    }
    return this.quote(body.llm_config_overrides ?? {}, 'llm_config_overrides', sizes);
  }

  /**
   * The assessment's pair design (as cj-integration will build it) priced pair by pair. A design larger than one
   * batch may hold is a 400 naming comparisons_per_essay (cj-integration sends every pair in ONE batch).
   */
  async quoteAssessment(body: Omit<AssessmentRequestDto, 'assessment_id'>): Promise<CostQuote> {
    return this.quoteAssessmentEssays(
      body,
      body.essays.map((e) => e.essay_id),
      body.essays.map((e) => e.text.length),
    );
  }

  /**
   * The same quote from the essays' ids and text lengths only (an uploaded assessment is quoted at its seal
   * without reading its essays back).
   */
  async quoteAssessmentEssays(
    body: Omit<AssessmentRequestDto, 'assessment_id' | 'essays'>,
    essayIds: string[],
    textChars: number[],
  ): Promise<CostQuote> {
    const sharedChars = body.assignment.length + body.criteria.length + (body.instructions?.length ?? 0) + 60;
    const lengths = new Map(essayIds.map((id, i) => [id, textChars[i]]));
    const pairs = generatePairs({
      essayIds,
      comparisonsPerEssay: body.comparisons_per_essay ?? this.settings.assessmentDefaultComparisonsPerEssay,
      seed: body.seed ?? 0,
      bothOrders: body.both_orders ?? false,
    });
    const sizes = pairs.map((p): ComparisonSize => ({
      sharedChars,
      essayChars: (lengths.get(p.essay_a) ?? 0) + (lengths.get(p.essay_b) ?? 0),
    }));
    const max = this.settings.maxComparisonsPerBatch;
    if (sizes.length > max) {
      throw ApiError.invalid(
        'comparisons_per_essay',
        `the design needs ${sizes.length} comparisons; one assessment batch holds at most ${max}`,
        { max, received: sizes.length },
      );
    }
    return this.quote(body.llm_config, 'llm_config', sizes);
  }

  /** 422 naming max_cost_usd when the quote is above it (or has no price to compare with). */
  enforceLimit(quote: CostQuote, maxCostUsd: number | undefined): void {
    if (maxCostUsd === undefined) return;
    const estimate = quote.estimated_cost_usd;
    if (estimate !== null && estimate <= maxCostUsd) return;
    const message =
      estimate === null
        ? `max_cost_usd cannot be checked: model "${quote.model}" has no known price`
        : `the quoted cost ${estimate} USD is above max_cost_usd ${maxCostUsd} USD`;
    throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, 'COST_LIMIT_EXCEEDED', message, {
      field: 'max_cost_usd',
      details: { max_cost_usd: maxCostUsd, quote },
    });
  }

  private async quote(
    overrides: LlmConfigOverrides,
    configField: string,
    sizes: ComparisonSize[],
  ): Promise<CostQuote> {
    const config = this.selection.resolve(overrides, configField);
    const state = (await this.availability.availability())[config.provider];
    return estimateCost(config, sizes, {
      batchApi: state.batch_enabled,
      pricing: this.providersConfig.pricing,
    });
  }
}
