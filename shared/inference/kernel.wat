;; @module shared/inference/kernel.wat
;; The generator's dense and conv layers in WebAssembly SIMD, the fast path of shared/inference/forward.ts. Assembled
;; into shared/inference/kernel.wasm by `npm run build:kernel` (wabt); a test checks the two agree.
;;
;; Arithmetic, which the pure-JS path in shared/inference/forward.ts emulates bit for bit with Math.fround:
;; each output j is `((0 + w_0j·x_0) + w_1j·x_1) + … + w_(n−1)j·x_(n−1)`, then `+ b_j`, every
;; product and every sum rounded to float32 (f32x4.mul then f32x4.add: no FMA, no relaxed SIMD,
;; which could fuse or reorder and so differ between engines). A lane holds one output for the
;; whole sum, so the lanes and the four accumulators change only the speed, never the bits.
;;
;; Layout (float32, 16-byte aligned, little-endian as wasm memory always is):
;;   x [inputs]                      the layer input
;;   w [blocks][inputs][16]          16 units interleaved per input (zero-padded past `units`)
;;   b [blocks · 16]                 bias, zero-padded
;;   y [blocks · 16]                 output
;; `dense_q` reads int16 weights in the same layout plus one float32 step per unit, s [blocks · 16].
;; The memory is exported so the host sizes it (memory.grow) and writes weights and inputs.
;;
;; `conv` is the same sum over a convolution's taps (shared/model/spec.ts Conv2dSpec, `same` padding):
;;   x [h][wd][c]                    the input map, NHWC
;;   w [blocks][k][k][c][16]         16 filters interleaved per tap (zero-padded past `filters`)
;;   b [blocks · 16]                 bias, zero-padded
;;   y [oh][ow][filters]             output map, plus 16 floats of slack
;; Each output (oy, ox, f) sums the taps inside the input in (ky, kx, c) order: per kernel row ky,
;; the in-bounds taps kx0..kx1 (all c) are contiguous in x and in w, so each row is a dense-style
;; run over (kx1 − kx0)·c inputs. The 16 lanes of a block are stored together, in increasing
;; address order: lanes past `filters` land on outputs written later, which overwrite them.
(module
  (memory (export "memory") 1)

  ;; y = W·x + b for `blocks` blocks of 16 units over `inputs` inputs.
  (func (export "dense")
    (param $x i32) (param $w i32) (param $b i32) (param $y i32)
    (param $inputs i32) (param $blocks i32)
    (local $xp i32) (local $xend i32) (local $xi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $xend (i32.add (local.get $x) (i32.shl (local.get $inputs) (i32.const 2))))
    (block $done
      (loop $block
        (br_if $done (i32.eqz (local.get $blocks)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $xp (local.get $x))
        (block $summed
          (loop $input
            (br_if $summed (i32.ge_u (local.get $xp) (local.get $xend)))
            (local.set $xi (f32x4.splat (f32.load (local.get $xp))))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (v128.load offset=0 (local.get $w)) (local.get $xi))))
            (local.set $a1 (f32x4.add (local.get $a1)
              (f32x4.mul (v128.load offset=16 (local.get $w)) (local.get $xi))))
            (local.set $a2 (f32x4.add (local.get $a2)
              (f32x4.mul (v128.load offset=32 (local.get $w)) (local.get $xi))))
            (local.set $a3 (f32x4.add (local.get $a3)
              (f32x4.mul (v128.load offset=48 (local.get $w)) (local.get $xi))))
            (local.set $w (i32.add (local.get $w) (i32.const 64)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
            (br $input)))
        (v128.store offset=0 (local.get $y)
          (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $b))))
        (v128.store offset=16 (local.get $y)
          (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $b))))
        (v128.store offset=32 (local.get $y)
          (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $b))))
        (v128.store offset=48 (local.get $y)
          (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $b))))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (local.set $y (i32.add (local.get $y) (i32.const 64)))
        (local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))
        (br $block))))

  ;; y = (Σ q·x)·s + b for a quantized kernel: `q` is int16 [blocks][inputs][16] (32 bytes per
  ;; input and block), `s` the float32 step of each unit [blocks · 16]. Each int16 converts to
  ;; float32 exactly; then the same sum as `dense` (product and sum rounded to float32, input
  ;; order), then one float32 product with the step and one sum with the bias. Half the weight
  ;; bytes of `dense`: the served model's weights do not stay in cache between requests, so their
  ;; memory traffic, not the arithmetic, is what a request pays for.
  (func (export "dense_q")
    (param $x i32) (param $q i32) (param $s i32) (param $b i32) (param $y i32)
    (param $inputs i32) (param $blocks i32)
    (local $xp i32) (local $xend i32) (local $xi v128) (local $lo v128) (local $hi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $xend (i32.add (local.get $x) (i32.shl (local.get $inputs) (i32.const 2))))
    (block $done
      (loop $block
        (br_if $done (i32.eqz (local.get $blocks)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $xp (local.get $x))
        (block $summed
          (loop $input
            (br_if $summed (i32.ge_u (local.get $xp) (local.get $xend)))
            (local.set $xi (f32x4.splat (f32.load (local.get $xp))))
            (local.set $lo (v128.load offset=0 (local.get $q)))
            (local.set $hi (v128.load offset=16 (local.get $q)))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xi)
              (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $lo))))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xi)
              (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $lo))))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xi)
              (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $hi))))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xi)
              (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $hi))))))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
            (br $input)))
        (v128.store offset=0 (local.get $y) (f32x4.add (v128.load offset=0 (local.get $b))
          (f32x4.mul (local.get $a0) (v128.load offset=0 (local.get $s)))))
        (v128.store offset=16 (local.get $y) (f32x4.add (v128.load offset=16 (local.get $b))
          (f32x4.mul (local.get $a1) (v128.load offset=16 (local.get $s)))))
        (v128.store offset=32 (local.get $y) (f32x4.add (v128.load offset=32 (local.get $b))
          (f32x4.mul (local.get $a2) (v128.load offset=32 (local.get $s)))))
        (v128.store offset=48 (local.get $y) (f32x4.add (v128.load offset=48 (local.get $b))
          (f32x4.mul (local.get $a3) (v128.load offset=48 (local.get $s)))))
        (local.set $s (i32.add (local.get $s) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (local.set $y (i32.add (local.get $y) (i32.const 64)))
        (local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))
        (br $block))))

  ;; Convolution of an NHWC map; see the header. `top`, `left`: padding before the first row and
  ;; column (the taps at negative coordinates are skipped, as are those past the far edge).
  (func (export "conv")
    (param $x i32) (param $w i32) (param $b i32) (param $y i32)
    (param $h i32) (param $wd i32) (param $c i32) (param $oh i32) (param $ow i32)
    (param $filters i32) (param $k i32) (param $stride i32) (param $top i32) (param $left i32)
    (param $blocks i32)
    (local $oy i32) (local $ox i32) (local $blk i32) (local $ky i32)
    (local $iy0 i32) (local $ix0 i32) (local $ky0 i32) (local $ky1 i32)
    (local $kx0 i32) (local $kx1 i32) (local $run i32)
    (local $xp i32) (local $xend i32) (local $wp i32) (local $bp i32) (local $yp i32)
    (local $xi v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $oy (i32.const 0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_s (local.get $oy) (local.get $oh)))
        ;; iy0 = oy·stride − top; ky in [max(0, −iy0), min(k, h − iy0))
        (local.set $iy0 (i32.sub (i32.mul (local.get $oy) (local.get $stride)) (local.get $top)))
        (local.set $ky0 (select (i32.sub (i32.const 0) (local.get $iy0)) (i32.const 0)
          (i32.lt_s (local.get $iy0) (i32.const 0))))
        (local.set $ky1 (i32.sub (local.get $h) (local.get $iy0)))
        (local.set $ky1 (select (local.get $k) (local.get $ky1)
          (i32.lt_s (local.get $k) (local.get $ky1))))
        (local.set $ox (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_s (local.get $ox) (local.get $ow)))
            (local.set $ix0
              (i32.sub (i32.mul (local.get $ox) (local.get $stride)) (local.get $left)))
            (local.set $kx0 (select (i32.sub (i32.const 0) (local.get $ix0)) (i32.const 0)
              (i32.lt_s (local.get $ix0) (i32.const 0))))
            (local.set $kx1 (i32.sub (local.get $wd) (local.get $ix0)))
            (local.set $kx1 (select (local.get $k) (local.get $kx1)
              (i32.lt_s (local.get $k) (local.get $kx1))))
            ;; bytes of x per kernel row: (kx1 − kx0)·c floats
            (local.set $run (i32.shl
              (i32.mul (i32.sub (local.get $kx1) (local.get $kx0)) (local.get $c)) (i32.const 2)))
            ;; y of this output position: (oy·ow + ox)·filters floats
            (local.set $yp (i32.add (local.get $y) (i32.shl (i32.mul
              (i32.add (i32.mul (local.get $oy) (local.get $ow)) (local.get $ox))
              (local.get $filters)) (i32.const 2))))
            (local.set $bp (local.get $b))
            (local.set $blk (i32.const 0))
            (block $blocks_done
              (loop $block
                (br_if $blocks_done (i32.ge_s (local.get $blk) (local.get $blocks)))
                (local.set $a0 (v128.const f32x4 0 0 0 0))
                (local.set $a1 (v128.const f32x4 0 0 0 0))
                (local.set $a2 (v128.const f32x4 0 0 0 0))
                (local.set $a3 (v128.const f32x4 0 0 0 0))
                (local.set $ky (local.get $ky0))
                (block $taps_done
                  (loop $taps
                    (br_if $taps_done (i32.ge_s (local.get $ky) (local.get $ky1)))
                    ;; x + ((iy0 + ky)·wd + ix0 + kx0)·c floats
                    (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.add
                      (i32.mul (i32.add (local.get $iy0) (local.get $ky)) (local.get $wd))
                      (local.get $ix0)) (local.get $kx0)) (local.get $c)) (i32.const 2))))
                    (local.set $xend (i32.add (local.get $xp) (local.get $run)))
                    ;; w + ((blk·k + ky)·k + kx0)·c·16 floats
                    (local.set $wp (i32.add (local.get $w) (i32.shl (i32.mul (i32.add
                      (i32.mul (i32.add (i32.mul (local.get $blk) (local.get $k)) (local.get $ky))
                        (local.get $k))
                      (local.get $kx0)) (local.get $c)) (i32.const 6))))
                    (block $summed
                      (loop $input
                        (br_if $summed (i32.ge_u (local.get $xp) (local.get $xend)))
                        (local.set $xi (f32x4.splat (f32.load (local.get $xp))))
                        (local.set $a0 (f32x4.add (local.get $a0)
                          (f32x4.mul (v128.load offset=0 (local.get $wp)) (local.get $xi))))
                        (local.set $a1 (f32x4.add (local.get $a1)
                          (f32x4.mul (v128.load offset=16 (local.get $wp)) (local.get $xi))))
                        (local.set $a2 (f32x4.add (local.get $a2)
                          (f32x4.mul (v128.load offset=32 (local.get $wp)) (local.get $xi))))
                        (local.set $a3 (f32x4.add (local.get $a3)
                          (f32x4.mul (v128.load offset=48 (local.get $wp)) (local.get $xi))))
                        (local.set $wp (i32.add (local.get $wp) (i32.const 64)))
                        (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
                        (br $input)))
                    (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                    (br $taps)))
                (v128.store offset=0 align=4 (local.get $yp)
                  (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $bp))))
                (v128.store offset=16 align=4 (local.get $yp)
                  (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $bp))))
                (v128.store offset=32 align=4 (local.get $yp)
                  (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $bp))))
                (v128.store offset=48 align=4 (local.get $yp)
                  (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $bp))))
                (local.set $bp (i32.add (local.get $bp) (i32.const 64)))
                (local.set $yp (i32.add (local.get $yp) (i32.const 64)))
                (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
                (br $block)))
            (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
            (br $cols)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $rows)))))
