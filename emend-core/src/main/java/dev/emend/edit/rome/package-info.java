/**
 * ROME and R-ROME: rank-one model editing of one MLP out-projection (Meng et al., "Locating and Editing Factual
 * Associations in GPT", NeurIPS 2022, arXiv:2202.05262; Gupta et al., "Rebuilding ROME", arXiv:2403.07175).
 *
 * <p>Glossary (algorithms §2): {@code l*} the edited layer; {@code W} its MLP out-projection, maths orientation
 * [D, F]; {@code k̄} the mean key over the context templates at the subject's last token (eq. for {@code k*});
 * {@code C} the uncentred second moment of keys; {@code u = C⁻¹k̄/‖C⁻¹k̄‖}; {@code v*} the optimised value (§1.5);
 * {@code r = (v* − m)/(k·u)} and {@code Δ = r uᵀ} (paper eq. 2 in the code's factorised form).
 *
 * <ul>
 *   <li>ROME uses, for {@code k, m}, the key and value of the bare prompt ({@code k₀, m₀}): what the original code
 *       computes (§2.2), including its key mismatch.</li>
 *   <li>R-ROME uses one key throughout (§2.3): {@code k̄, m̄} by default (r-ROME), or the prompt key everywhere with
 *       {@code enable_prompt_keys: true} (p-ROME).</li>
 * </ul>
 * Legend: D model width, F MLP width, V vocabulary, T tokens.
 */
package dev.emend.edit.rome;
