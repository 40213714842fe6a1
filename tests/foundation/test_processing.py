"""One person's updates run in order; other people are not held up by them."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.processing import PerUserUpdateProcessor, UserLocks


def update_from(user_id: int, update_id: int) -> Update:
    user = User(user_id, "P", is_bot=False)
    chat = Chat(user_id, "private")
    from datetime import UTC, datetime

    message = Message(update_id, datetime.now(UTC), chat, from_user=user, text="x")
    return Update(update_id, message=message)


async def test_one_persons_updates_run_in_arrival_order_while_others_overtake() -> None:
    processor = PerUserUpdateProcessor(UserLocks(), max_running=8)
    finished: list[tuple[int, int]] = []

    async def handle(user_id: int, update_id: int, delay: float) -> None:
        await asyncio.sleep(delay)
        finished.append((user_id, update_id))

    tasks = []
    # Person 1's first update is slow; their later ones must wait, person 2's must not.
    plan = [(1, 1, 0.2), (1, 2, 0.0), (2, 3, 0.0), (1, 4, 0.0), (2, 5, 0.0)]
    for user_id, update_id, delay in plan:
        update = update_from(user_id, update_id)
        tasks.append(
            asyncio.create_task(processor.process_update(update, handle(user_id, update_id, delay)))
        )
    await asyncio.gather(*tasks)
    assert [u for p, u in finished if p == 1] == [1, 2, 4]
    assert finished.index((2, 3)) < finished.index((1, 1))
    assert finished.index((2, 5)) < finished.index((1, 1))


async def test_idle_person_locks_are_dropped() -> None:
    locks = UserLocks()
    async with locks.hold(7):
        assert len(locks) == 1
    assert len(locks) == 0
