// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - test plugins
 *
 * test-plugin.c - device plugins for the tests of rekamd's plugin host,
 * built from this one file in several variants (see tests/local.mk):
 *
 *   rekam-test-timer.so      a working device whose operations are timers,
 *                            steered by its [device NAME] options
 *   rekam-test-badabi.so     declares plugin ABI 99.0: must be refused
 *   rekam-test-probefail.so  its probe fails with -EIO: devices refused
 *   rekam-test-misnamed.so   its descriptor names another plugin: refused
 *   rekam-test-abi10.so      a timer device declaring ABI 1.0: the host
 *                            must not offer (or even read) its job op
 *
 * The timer device's options (rekamd.conf [device NAME] keys):
 *   open = ok | absent | error    how opening ends (default ok)
 *   stubborn = true               ignore cancel (the host's deadline test)
 *   delay-ms = N                  how long a capture takes (default 50)
 *   fail-step = NAME              this self-test step fails
 * and capture options: "delay-ms" (overrides), "size" (artifact bytes,
 * default 1024), "fail" = "io" (the capture fails like a device would).
 * Jobs (ABI 1.1), after "delay-ms" like a capture:
 *   echo   results Text (the "text" option), Bytes and Sum (of the "data"
 *          byte option), Even (Bytes is even); the data back as a
 *          "job-data" artifact when it is not empty
 *   fail   fails like a device would
 * and no other action (-EOPNOTSUPP).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "rekam/plugin.h"

#ifndef TEST_VARIANT
#define TEST_VARIANT "timer"
#endif

static const struct rk_host *host;

struct state {
	struct rk_device *dev;
	struct rk_op *op;
	struct rk_timer *timer;
	int64_t size;
	bool fail;
	unsigned int ticks;
	bool job;
	const char *text;          /* job options: valid until the op completes */
	const unsigned char *data;
	size_t data_size;
};

static int probe(const struct rk_host *h, const struct rk_probe_info *info)
{
#ifdef TEST_PROBE_FAILS
	return -EIO;
#else
	return info->connection && strncmp(info->connection, "test:", 5) == 0 ? 0 : -ENODEV;
#endif
}

static bool option_is(struct rk_device *dev, const char *key, const char *value)
{
	const char *v = host->config(dev, key);

	return v && strcmp(v, value) == 0;
}

static void stop_timer(struct state *s)
{
	host->timer_remove(s->timer);
	s->timer = NULL;
}

static void open_done(void *data)
{
	struct state *s = data;
	struct rk_op *op = s->op;

	stop_timer(s);
	s->op = NULL;
	if (option_is(s->dev, "open", "absent")) {
		host->op_complete(op, -ENODEV, "no test device answers at this connection");
		return;
	}
	if (option_is(s->dev, "open", "error")) {
		host->op_complete(op, -EIO, "the test device answers nonsense");
		return;
	}
	host->set_info(s->dev, "Test-Timer", host->connection(s->dev) + 5, "0.9");
	host->set_health_bool(s->dev, "Connected", true);
	host->set_health_int(s->dev, "Opened", 1);
	host->op_complete(op, 0, NULL);
}

static int test_open(struct rk_device *dev, struct rk_op *op)
{
	struct state *s = host->get_data(dev);

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->dev = dev;
		host->set_data(dev, s);
	}
	s->op = op;
	s->timer = host->timer_add(dev, 5, false, open_done, s);
	return s->timer ? 0 : -ENOMEM;
}

static void test_close(struct rk_device *dev)
{
	struct state *s = host->get_data(dev);

	if (!s)
		return;
	stop_timer(s);
	free(s);
	host->set_data(dev, NULL);
}

static int test_self_test(struct rk_device *dev, struct rk_op *op)
{
	host->op_add_step(op, "sensor", true, "sensor answers");
	host->op_add_step(op, "link", !option_is(dev, "fail-step", "link"),
		option_is(dev, "fail-step", "link") ? "link quality too low" : "link is good");
	host->op_complete(op, 0, NULL);
	return 0;
}

static void job_finish(struct state *s, struct rk_op *op)
{
	int64_t sum = 0;
	int err = 0;

	for (size_t i = 0; i < s->data_size; i++)
		sum += s->data[i];
	host->op_set_result_string(op, "Text", s->text);
	host->op_set_result_int(op, "Bytes", (int64_t)s->data_size);
	host->op_set_result_int(op, "Sum", sum);
	host->op_set_result_bool(op, "Even", s->data_size % 2 == 0);
	if (s->data_size)
		err = host->op_add_artifact(op, &(struct rk_artifact){
			.kind = "job-data",
			.format = "application/octet-stream",
			.quality = -1,
			.data = s->data,
			.size = s->data_size,
		});
	host->op_complete(op, err, NULL);
}

static void capture_tick(void *data)
{
	struct state *s = data;
	struct rk_op *op = s->op;
	unsigned char *bytes;
	int err;

	if (++s->ticks < 2) {
		host->op_progress(op, "capturing", 0.5, "Halfway there");
		return;
	}
	stop_timer(s);
	s->op = NULL;
	if (s->fail) {
		host->op_complete(op, -EIO, "the test device failed on purpose");
		return;
	}
	if (s->job) {
		job_finish(s, op);
		return;
	}
	bytes = malloc((size_t)s->size);
	if (!bytes) {
		host->op_complete(op, -ENOMEM, NULL);
		return;
	}
	for (int64_t i = 0; i < s->size; i++)
		bytes[i] = (unsigned char)(i * 7 + 3);
	err = host->op_add_artifact(op, &(struct rk_artifact){
		.kind = "test-image",
		.format = "application/octet-stream",
		.width = 32,
		.height = 32,
		.quality = 77,
		.data = bytes,
		.size = (size_t)s->size,
	});
	free(bytes);
	host->op_progress(op, "done", 1.0, "Captured");
	host->op_complete(op, err, NULL);
}

static int test_capture(struct rk_device *dev, struct rk_op *op, const struct rk_options *options)
{
	struct state *s = host->get_data(dev);
	const char *cfg = host->config(dev, "delay-ms");
	int64_t delay = host->option_int(options, "delay-ms", cfg ? atoi(cfg) : 50);

	s->size = host->option_int(options, "size", 1024);
	if (s->size < 1 || s->size > 16 * 1024 * 1024 || delay < 0 || delay > 600000)
		return -EINVAL;
	s->fail = strcmp(host->option_string(options, "fail", ""), "io") == 0;
	s->job = false;
	s->ticks = 0;
	s->op = op;
	host->op_progress(op, "starting", 0.0, "Starting the test capture");
	s->timer = host->timer_add(dev, (unsigned int)delay / 2, true, capture_tick, s);
	return s->timer ? 0 : -ENOMEM;
}

static int test_job(struct rk_device *dev, struct rk_op *op, const char *action,
		const struct rk_options *options)
{
	struct state *s = host->get_data(dev);
	const char *cfg = host->config(dev, "delay-ms");
	int64_t delay = host->option_int(options, "delay-ms", cfg ? atoi(cfg) : 50);

	if (strcmp(action, "echo") != 0 && strcmp(action, "fail") != 0)
		return -EOPNOTSUPP;
	if (delay < 0 || delay > 600000)
		return -EINVAL;
	s->job = true;
	s->fail = strcmp(action, "fail") == 0;
	s->text = host->option_string(options, "text", "");
	s->data = host->option_bytes(options, "data", &s->data_size);
	if (!s->data)
		s->data_size = 0;
	s->ticks = 0;
	s->op = op;
	host->op_progress(op, "starting", 0.0, "Starting the test job");
	s->timer = host->timer_add(dev, (unsigned int)delay / 2, true, capture_tick, s);
	return s->timer ? 0 : -ENOMEM;
}

static void test_cancel(struct rk_device *dev, struct rk_op *op)
{
	struct state *s = host->get_data(dev);

	if (option_is(dev, "stubborn", "true") || !s || s->op != op)
		return;
	stop_timer(s);
	s->op = NULL;
	host->op_complete(op, -ECANCELED, NULL);
}

static const struct rk_device_ops ops = {
	.probe = probe,
	.open = test_open,
	.close = test_close,
	.self_test = test_self_test,
	.capture = test_capture,
	.cancel = test_cancel,
	.job = test_job,
};

static int init(const struct rk_host *h)
{
	host = h;
	return 0;
}

#ifdef TEST_BAD_ABI
__attribute__((visibility("default"))) const struct rk_plugin rekam_plugin = {
	.abi_major = 99,
	.abi_minor = 0,
	.name = "test-badabi",
	.device_class = RK_DEVICE_CAMERA,
	.ops = &ops,
	.init = init,
};
#elif defined(TEST_ABI_1_0)
__attribute__((visibility("default"))) const struct rk_plugin rekam_plugin = {
	.abi_major = 1,
	.abi_minor = 0,
	.name = TEST_NAME,
	.description = "test device (" TEST_VARIANT ")",
	.version = "1.0",
	.device_class = RK_DEVICE_CAMERA,
	.ops = &ops,
	.init = init,
};
#else
REKAM_PLUGIN_DEFINE(TEST_NAME, "test device (" TEST_VARIANT ")", "1.0", RK_DEVICE_CAMERA, NULL,
	&ops, init, NULL);
#endif
