#include "cpu/backend.h"

#include <stdio.h>
#include <string.h>

static int cpu_lane_open(void *self, uint32_t lane, void **lane_ctx, char *err, size_t errlen)
{
    (void)lane;
    (void)err;
    (void)errlen;
    *lane_ctx = self; /* lanes share the frame; tiles never overlap */
    return 0;
}

static int cpu_render_tile(void *lane_ctx, const struct tr_tile *tile, int64_t *device_time_ns,
                           char *err, size_t errlen)
{
    struct tr_cpu_backend *b = lane_ctx;
    (void)device_time_ns;
    (void)err;
    (void)errlen;
    if (tile->slot)
        b->render(&b->frame, tile, tile->slot, tile->w);
    else
        tr_tile_into_frame(b->render, &b->frame, b->counts, tile);
    return 0;
}

static const struct tr_backend_ops cpu_ops = {
    .lane_open = cpu_lane_open,
    .render_tile = cpu_render_tile,
};

static void backend_set(struct tr_cpu_backend *b, const struct tr_params *p, uint16_t *frame,
                        enum tr_cpu_isa isa)
{
    memset(b, 0, sizeof(*b));
    b->base.ops = &cpu_ops;
    b->base.self = b;
    b->counts = frame;
    b->frame.width = p->width;
    b->frame.height = p->height;
    b->frame.max_iter = p->max_iter;
    b->render = tr_cpu_tile_fn(isa, p->precision);
    b->kernel_name = tr_cpu_kernel_name(isa, p->precision);
}

enum tr_status tr_cpu_backend_init(struct tr_cpu_backend *b, const struct tr_params *p,
                                   uint16_t *frame, char *err, size_t errlen)
{
    enum tr_cpu_isa isa;
    int rc = tr_cpu_isa_choose(p->kernel, &isa, err, errlen);
    if (rc)
        return rc;
    backend_set(b, p, frame, isa);
    return 0;
}

enum tr_status tr_cpu_backend_init_isa(struct tr_cpu_backend *b, const struct tr_params *p,
                                       uint16_t *frame, const char *isa_name, char *err,
                                       size_t errlen)
{
    enum tr_cpu_isa isa;
    if (tr_cpu_isa_parse(isa_name, &isa) != 0) {
        snprintf(err, errlen,
                 "'%.40s' is not one of the accepted values (avx512, avx2, sse2, "
                 "scalar)",
                 isa_name);
        return TR_ERR_USAGE;
    }
    if (!tr_cpu_isa_supported(isa)) {
        snprintf(err, errlen, "'%s' is not supported by this processor or build", isa_name);
        return TR_ERR_DEVICE;
    }
    backend_set(b, p, frame, p->kernel == TR_KERNEL_SCALAR ? TR_CPU_ISA_SCALAR : isa);
    return 0;
}

/* The first "KEY : value" line of /proc/cpuinfo whose key is key, or fallback. */
static void cpuinfo_field(const char *key, const char *fallback, char *buf, size_t len)
{
    char line[512];
    const size_t key_len = strlen(key);
    FILE *f = fopen("/proc/cpuinfo", "r");
    snprintf(buf, len, "%s", fallback);
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, key_len) == 0 && strchr(" \t:", line[key_len])) {
            char *v = strchr(line, ':');
            if (v) {
                v++;
                while (*v == ' ' || *v == '\t')
                    v++;
                v[strcspn(v, "\n")] = '\0';
                snprintf(buf, len, "%s", v);
            }
            break;
        }
    }
    fclose(f);
}

void tr_cpu_model_name(char *buf, size_t len)
{
    cpuinfo_field("model name", "host CPU", buf, len);
}

void tr_cpu_vendor(char *buf, size_t len)
{
    cpuinfo_field("vendor_id", "unknown", buf, len);
}
