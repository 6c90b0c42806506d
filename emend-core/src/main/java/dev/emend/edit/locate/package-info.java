/**
 * The locate-then-edit machinery shared by ROME, R-ROME and (later) MEMIT, AlphaEdit, PMET and EMMET
 * (algorithms §1): find the subject token ({@link dev.emend.edit.locate.SubjectLocator},
 * {@link dev.emend.edit.locate.FactToken}), vary its left context ({@link dev.emend.edit.locate.ContextTemplates}),
 * read the key {@code k} and value {@code m} of an MLP ({@link dev.emend.edit.locate.KeyComputer}), optimise a target
 * value {@code v*} ({@link dev.emend.edit.locate.ValueOptimizer}) and solve for a rank-one update
 * ({@link dev.emend.edit.locate.RankOneUpdate}, {@link dev.emend.edit.locate.Linalg}). This answers EasyEdit's nine
 * copies of {@code compute_z.py}: only the final update rule differs between methods.
 *
 * <p>Legend: n prompts, T tokens, D model width, F MLP width, V vocabulary. Symbols: {@code k} key (input of the MLP
 * out-projection, hook {@code mlp.hook_post}), {@code m} value (MLP output, hook {@code hook_mlp_out}), {@code C}
 * second moment of keys, {@code u = C⁻¹k̄/‖C⁻¹k̄‖}, {@code δ} the optimised offset, {@code v* = v_init + δ},
 * {@code r = (v* − m)/(k·u)}, {@code Δ = r uᵀ}.
 */
package dev.emend.edit.locate;
