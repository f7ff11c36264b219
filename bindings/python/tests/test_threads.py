"""One model shared by threads gives the same arrays as the same calls made one after the
other (leafx_model is immutable; ctypes releases the GIL during each call)."""
import threading

import numpy as np

from conftest import JFK, dev_audio, read_wav


def test_concurrent_explanations_equal_sequential(tiny):
    jobs = [(read_wav(JFK), "ask not what your country can do for you"),
            (read_wav(dev_audio("1688-142285-0002")), "and the tortoise was so slow")]
    sequential = [tiny.explain(samples, method="raa", text=text).attributions for samples, text in jobs]
    results, errors = [None] * len(jobs), []

    def work(i):
        try:
            samples, text = jobs[i]
            results[i] = tiny.explain(samples, method="raa", text=text).attributions
        except Exception as error:  # reported below, with the thread's index
            errors.append((i, error))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for got, expected in zip(results, sequential):
        np.testing.assert_array_equal(got, expected)
