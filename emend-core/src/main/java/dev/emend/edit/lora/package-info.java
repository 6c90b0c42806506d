/**
 * LoRA as an editor (algorithms §6; Hu et al., "LoRA", arXiv:2106.09685; EasyEdit {@code models/lora/lora_main.py}).
 *
 * <p>{@link dev.emend.edit.lora.LoraParams} reads EasyEdit's {@code hparams/LoRA/*.yaml} ({@code lora_type: lora});
 * {@link dev.emend.edit.lora.LoraEditor} trains adapters on the projections chosen by
 * {@link dev.emend.edit.lora.LoraTargets} with the FT package's {@link dev.emend.edit.ft.TorchAdam} and commits each
 * as a {@link dev.emend.edit.WeightDelta.LowRank} ({@code L = (α/r)·B}, {@code R = A}), which
 * {@link dev.emend.edit.PeftAdapter} exports unchanged. AdaLoRA is not implemented.
 */
package dev.emend.edit.lora;
